// BackendLink's side of read coalescing (issue #18; the rule is routing/coalesce_rule.hpp, the
// table backend/coalescer.hpp). Cold paths: a link runs them only for reads the session offered.
#include "backend/backend_link.hpp"

namespace funnel::backend {

bool BackendLink::join_leader(std::string_view request, const ReplyTarget& target,
                              const ReadOffer& offer) {
  if (coalescer_ == nullptr) coalescer_ = std::make_unique<LinkCoalescer>(offer.unsafe_for_tests);
  const LinkCoalescer::LinkView view{pipeline_, out_, out_base_, sent_};
  const std::uint64_t leader = coalescer_->find_leader(request, target, offer, view);
  if (leader == LinkCoalescer::kNone) return false;
  pipeline_.at(static_cast<std::size_t>(leader - pipeline_.first_absolute())).has_followers = true;
  coalescer_->add_follower(leader, target);
  if (metrics_ != nullptr) metrics_->coalesced_requests.add();
  return true;
}

void BackendLink::answer_followers(std::uint64_t leader, std::string_view reply,
                                   const ReplyTiming& timing) {
  coalescer_->take_followers(
      leader, [&](const ReplyTarget& target) { sink_.deliver(target, reply, timing); });
}

void BackendLink::answer_abandoned_followers(std::string_view reply, const ReplyTiming& timing) {
  for (std::size_t i = 0; i < pipeline_.size(); ++i) {
    InFlight& entry = pipeline_.at(i);
    if (!entry.abandoned || !entry.has_followers) continue;
    entry.has_followers = false;
    answer_followers(pipeline_.first_absolute() + i, reply, timing);
  }
}

}  // namespace funnel::backend
