// In-flight read coalescing (issue #18, item 1; docs/spike-shield.md): when may a read R be
// answered with a copy of the reply to an identical read L that Funnel has not yet written to
// the backend? The whole rule lives here, without I/O: the session states what only it knows
// (offer_verdict), the backend link what only it knows (join_verdict). Both run per request only
// while shield.coalesce is on.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace funnel::routing {

// R's client's earlier requests that still await their reply.
enum class Earlier : std::uint8_t {
  kNone,        // none: R is the only one
  kOnSameLink,  // all forwarded on the shared link R goes to (the link finds where they are)
  kElsewhere,   // some elsewhere (a replica, another shard, a pinned link) or unknown
};

// What the session knows about R when it forwards it.
struct OfferFacts {
  bool enabled = false;              // shield.coalesce
  bool command_listed = false;       // R's command is in shield.coalesce_commands
  bool read_only = false;            // the command table says read-only (never an unknown one)
  bool in_multi = false;             // queued in a MULTI, or the client holds one open
  bool pinned = false;               // R goes on a pinned link (WATCH, blocking, tracking)
  bool tracking = false;             // CLIENT TRACKING on (always pinned too; stated for clarity)
  bool reply_off = false;            // CLIENT REPLY OFF/SKIP drops R's reply
  bool reply_edited = false;         // Funnel rewrites or looks into R's reply (INFO, PUBLISH)
  bool primary_shared_link = false;  // R goes to its database's shared link on its primary
  Earlier earlier = Earlier::kElsewhere;
};

// True if R may look for a leader: it is then offered to the link with its `earlier`.
bool offer_verdict(const OfferFacts& r);

// What the link knows when it finds an identical L (same link: same node, database and
// protocol; the same bytes) for an offered R. L itself was offered, so it passed offer_verdict.
struct JoinFacts {
  bool same_bytes = false;                // R's request bytes equal L's
  bool leader_unsent = false;             // no byte of L has been handed to the socket yet
  Earlier earlier = Earlier::kElsewhere;  // R's offer
  bool client_behind_leader = false;      // R's client has a request after L on this link
  // shield.coalesce_unsafe_for_tests: lets R join an L already sent (the checker must catch it).
  bool unsafe_for_tests = false;
};

// True if R may join L as a follower (it then gets a copy of L's reply, in its own order).
bool join_verdict(const JoinFacts& j);

// The coalescible commands by command::command_id (process-wide stable ids).
using CommandSet = std::bitset<1024>;

// The default shield.coalesce_commands: read-only commands whose reply depends only on the
// data at the moment they run (not on the connection, the clock of a second run, or chance).
std::string_view default_coalesce_commands();
// Splits a command list ("get, hget mget": spaces or commas) into lower-case names; names
// refused (unknown, not read-only, or with a reply that is not a function of the data, such as
// SRANDMEMBER) are appended to `refused`.
std::vector<std::string> split_coalesce_commands(std::string_view list,
                                                 std::vector<std::string>& refused);

}  // namespace funnel::routing
