// ClientSession's side of read coalescing (issue #18, docs/spike-shield.md): what only the
// session knows about a read (its command, its mode, where its client's earlier requests are)
// goes into routing::offer_verdict; an offered read carries backend::ReadOffer to its link,
// which decides the rest (backend/coalescer.hpp).
#include "backend/coalescer.hpp"
#include "client/client_session.hpp"

namespace funnel::client {

std::shared_ptr<const CoalesceSettings> make_coalesce_settings(const config::ShieldConfig& shield) {
  if (shield.coalesce == 0) return nullptr;
  auto settings = std::make_shared<CoalesceSettings>();
  std::vector<std::string> refused;  // config validation refused the file already
  const std::string_view list = shield.coalesce_commands.empty()
                                    ? routing::default_coalesce_commands()
                                    : std::string_view(shield.coalesce_commands);
  for (const std::string& name : routing::split_coalesce_commands(list, refused)) {
    const std::uint16_t id = command::command_id(name);
    if (id != 0 && id < settings->commands.size()) settings->commands.set(id);
  }
  settings->unsafe_for_tests = shield.coalesce_unsafe_for_tests != 0;
  return settings;
}

// Where the client's earlier requests still awaiting their reply are. The current request's
// slot is open and its lane counted already (forward() did both).
routing::Earlier ClientSession::earlier_for_coalescing() const {
  const std::size_t earlier = replies_.pending() - 1;
  if (earlier == 0) return routing::Earlier::kNone;
  // Reads on replicas and cluster shards travel on the same lane as the primary's: from the
  // lane count alone they cannot be told apart from requests on this link.
  if (ctx_.route_reads || ctx_.cluster || subscribed()) return routing::Earlier::kElsewhere;
  // Every earlier slot is a request in flight on this lane: the database's shared link, the one
  // this read goes to (a client keeps one link per protocol and database).
  if (state_.mode == plan::Mode::kNormal && state_.lanes.current() == state_.shared_lane() &&
      state_.lanes.in_flight() == earlier + 1)
    return routing::Earlier::kOnSameLink;
  return routing::Earlier::kElsewhere;
}

bool ClientSession::submit_offered(backend::BackendPool& pool, std::string_view bytes,
                                   const backend::ReplyTarget& target, common::Millis deadline) {
  const command::Classification& cls = ctx_.classification;
  routing::OfferFacts r;
  r.enabled = true;
  r.command_listed = cls.spec != nullptr && ctx_.coalesce->commands.test(cls.spec->id);
  r.read_only = cls.read_only;
  r.in_multi = target.extra_replies != 0 || state_.mode == plan::Mode::kQueuing;
  r.pinned = state_.holds_pin();
  r.tracking = state_.holds_pin() && state_.pin_reason == plan::PinReason::kTracking;
  r.reply_off = (target.flags & backend::ReplyTarget::kNoReply) != 0;
  r.reply_edited = (target.flags & ~backend::ReplyTarget::kNoReply) != 0;
  r.primary_shared_link = !ctx_.cluster && &pool == ctx_.pool;
  if (!r.command_listed) return false;  // the common case when on: not a listed read
  r.earlier = earlier_for_coalescing();
  if (!routing::offer_verdict(r)) return false;
  const backend::ReadOffer offer{r.earlier, ctx_.coalesce->unsafe_for_tests};
  const backend::OfferScope scope(offer);
  pool.submit(state_.protocol, id_, bytes, target, deadline, state_.db);
  return true;
}

}  // namespace funnel::client
