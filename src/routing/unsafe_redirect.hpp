// Whether Funnel may follow a cluster redirect that answered a request which may have run before
// it answered: a script or function (EVAL*, EVALSHA*, FCALL*), which can return any error of its
// own (`redis.error_reply('MOVED 1 evil:6379')`) after writing, or a MULTI ... EXEC block. Issue
// #16, docs/cluster.md. No I/O.
//
// Redis checks a request's slots before it runs anything: a node that does not own the slot of
// the request's keys answers MOVED without running it. So a MOVED is proven genuine, and the
// request unrun, only by a slot map read AFTER the reply arrived in which
//   - the slot the MOVED names is the slot of the request's keys (a script's first key; a MULTI
//     block's EXEC: its own top-level reply is never a script's, so any slot),
//   - the node that answered does not own that slot, and
//   - the node the MOVED names does.
// Then the request is sent to that owner, once. ASK, TRYAGAIN and CLUSTERDOWN cannot be proven
// this way (during a migration the answering node still owns the slot): the client gets them.
#pragma once

#include "routing/redirect.hpp"

namespace funnel::routing {

struct UnsafeRedirect {
  RedirectKind kind = RedirectKind::kNone;
  bool followed_before = false;       // this request already followed a redirect
  bool slot_is_requests = false;      // the redirect's slot is the slot of the request's keys
  bool map_read_after_reply = false;  // the facts below come from such a map
  bool answerer_owns_slot = false;    // in that map
  bool target_owns_slot = false;      // in that map
};

enum class UnsafeVerdict : std::uint8_t {
  kDeliver,     // the client gets the error as it came
  kWaitForMap,  // ask for a map read and judge again with it
  kFollow,      // proven unrun: send it to the redirect's target (the slot's owner) once
};

UnsafeVerdict judge_unsafe_redirect(const UnsafeRedirect& facts);

}  // namespace funnel::routing
