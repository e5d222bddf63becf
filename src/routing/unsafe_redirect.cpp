// judge_unsafe_redirect: see unsafe_redirect.hpp.
#include "routing/unsafe_redirect.hpp"

namespace funnel::routing {

UnsafeVerdict judge_unsafe_redirect(const UnsafeRedirect& facts) {
  if (facts.kind != RedirectKind::kMoved || facts.followed_before || !facts.slot_is_requests) {
    return UnsafeVerdict::kDeliver;
  }
  if (!facts.map_read_after_reply) return UnsafeVerdict::kWaitForMap;
  if (facts.answerer_owns_slot || !facts.target_owns_slot) return UnsafeVerdict::kDeliver;
  return UnsafeVerdict::kFollow;
}

}  // namespace funnel::routing
