// LinkCoalescer (coalescer.hpp): the link's side of the coalescing rule.
#include "backend/coalescer.hpp"

#include <functional>

namespace funnel::backend {

namespace {
bool same_client(const ReplyTarget& a, const ReplyTarget& b) {
  return a.worker == b.worker && a.session_index == b.session_index &&
         a.session_generation == b.session_generation;
}
}  // namespace

std::uint64_t LinkCoalescer::find_leader(std::string_view request, const ReplyTarget& r,
                                         const ReadOffer& offer, const LinkView& link) {
  hash_ = std::hash<std::string_view>{}(request);
  const Slot& slot = slots_[hash_ % kSlots];
  if (slot.stamp != stamp_ || slot.hash != hash_ || slot.length != request.size()) return kNone;
  const Pipeline& pipeline = link.pipeline;
  // The leader may have been answered and popped (the unsafe mode keeps slots past the write).
  if (slot.index < pipeline.first_absolute() || slot.index >= pipeline.end_absolute()) return kNone;
  const InFlight& leader =
      pipeline.at(static_cast<std::size_t>(slot.index - pipeline.first_absolute()));
  if (leader.abandoned || leader.streaming) return kNone;
  routing::JoinFacts facts;
  facts.same_bytes =
      link.out.substr(leader.begin - link.out_base, leader.end - leader.begin) == request;
  facts.leader_unsent = leader.begin >= link.sent;
  facts.earlier = offer.earlier;
  facts.unsafe_for_tests = offer.unsafe_for_tests;
  if (offer.earlier == routing::Earlier::kOnSameLink)
    facts.client_behind_leader = client_behind(pipeline, slot.index, r);
  return routing::join_verdict(facts) ? slot.index : kNone;
}

void LinkCoalescer::note_leader(std::uint64_t index, std::uint32_t length) {
  slots_[hash_ % kSlots] = Slot{hash_, index, stamp_, length};
}

// Entries after the leader are all unsent (writes go in order): few, and scanned only for a
// client that has earlier requests on this link.
bool LinkCoalescer::client_behind(const Pipeline& pipeline, std::uint64_t leader,
                                  const ReplyTarget& r) const {
  for (std::uint64_t i = leader + 1; i < pipeline.end_absolute(); ++i) {
    if (same_client(pipeline.at(static_cast<std::size_t>(i - pipeline.first_absolute())).target, r))
      return true;
  }
  return false;
}

}  // namespace funnel::backend
