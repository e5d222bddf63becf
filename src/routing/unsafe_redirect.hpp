// Whether Funnel may follow a cluster redirect that answered a request which may have run before
// it answered: a script or function (EVAL*, EVALSHA*, FCALL*), which can return any error of its
// own (`redis.error_reply('MOVED 1 evil:6379')`) after writing. Issue #16, docs/cluster.md. No I/O.
//
// Redis checks a request's slots before it runs anything: a node that does not own the slot of
// the request's keys answers MOVED without running it. So a MOVED is proven genuine, and the
// request unrun, only by a slot map read AFTER the reply arrived in which
//   - the slot the MOVED names is the slot of the request's keys (a script's first key),
//   - the node that answered does not own that slot, and
//   - the node the MOVED names does.
// Then the request is sent to that owner, once.
//
// An ASK comes from a node that still owns the slot (it is migrating it), so the map cannot
// prove it. The node itself can: Redis answers ASK to a request on a migrating slot exactly when
// none of its keys is on the node (cluster.c getNodeByQuery), and a key never comes back to a
// node that is migrating its slot away. So Funnel asks the answering node `EXISTS` of the
// script's keys (a probe a script cannot answer): if that answers the same ASK (same slot, same
// target; or MOVED there, the migration having ended), the keys were gone when the script came too,
// Redis refused it before running it, and it goes to the importing node after ASKING, once. If any
// key is there (`:1`), the ASK was the script's own. An ASK to a node the map does not list waits
// for a map read begun after it (a node just added to the cluster, resharded onto) and reaches the
// client if that map does not list it either. TRYAGAIN and CLUSTERDOWN are never followed
// for a script: the client gets them. (A MULTI block's redirects are Redis's own queue-time
// replies, never a script's: they are judged in backend/link_io.cpp, not here.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "routing/redirect.hpp"

namespace funnel::routing {

struct UnsafeRedirect {
  RedirectKind kind = RedirectKind::kNone;
  bool followed_before = false;       // this request already followed a redirect
  bool slot_is_requests = false;      // the redirect's slot is the slot of the request's keys
  bool map_read_after_reply = false;  // the facts below come from such a map
  bool answerer_owns_slot = false;    // in that map
  bool target_owns_slot = false;      // in that map
  bool target_listed = false;         // ASK: the map lists the target (Funnel has links to it)
  bool probed = false;                // ASK: the answering node has answered the EXISTS probe
  bool probe_confirms = false;        // and that answer confirmed the ASK (probe_confirms_ask)
};

enum class UnsafeVerdict : std::uint8_t {
  kDeliver,       // the client gets the error as it came
  kWaitForMap,    // ask for a map read and judge again with it
  kFollow,        // proven unrun: send it to the redirect's target (the slot's owner) once
  kProbe,         // ASK: send the answering node the EXISTS probe and judge again with its reply
  kFollowAsking,  // proven unrun: ASKING then the request on the ASK's target, once
};

UnsafeVerdict judge_unsafe_redirect(const UnsafeRedirect& facts);

// The EXISTS probe for a script call (`EVAL* script numkeys key ...`, `FCALL* fn numkeys key
// ...`): `*N EXISTS key ...` of all its keys, written to `out` (replaced), and the keys' slot.
// None when the call has no key, does not parse, or its keys span slots (Redis answers those
// CROSSSLOT, never ASK).
std::optional<std::uint16_t> encode_keys_probe(std::string_view script_call, std::string& out);

// True when `probe_reply` (the probe's whole reply) confirms the ASK `original` (the script's
// whole reply): the same ASK (same slot, same address), or a MOVED of that slot to that address
// (the migration ended meanwhile: Redis lets a node give a slot away only once it holds none of
// its keys, so the keys had gone, as a genuine ASK says).
bool probe_confirms_ask(std::string_view original, std::string_view probe_reply);

}  // namespace funnel::routing
