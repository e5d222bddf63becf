// The near cache's per-request rules (issue #18 item 2, docs/spike-shield.md), without I/O: which
// requests may be answered from the cache or fill it, which writes drop what, and the checks on
// the shield.near_cache_* settings. The shared generations are near_cache_guard.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "command/command_table.hpp"

namespace funnel::routing {

// What the session knows about a read when it is planned.
struct CacheReadFacts {
  bool listed = false;             // the command is in shield.near_cache_commands
  bool one_key = false;            // the request names exactly one key (MGET k, not MGET k1 k2)
  bool key_under_prefix = false;   // the key is under one of shield.near_cache_prefixes
  bool in_multi = false;           // queued in a MULTI, or the client holds one open
  bool pinned = false;             // on a pinned link (WATCH, blocking, tracking, MONITOR)
  bool tracking = false;           // CLIENT TRACKING on (pinned too; stated for clarity)
  bool reply_off = false;          // CLIENT REPLY OFF/SKIP
  bool reply_edited = false;       // Funnel rewrites or looks into the reply
  bool subscribed = false;         // the client is in pub/sub mode
  bool earlier_in_flight = false;  // the client has an earlier request still awaiting its reply
  bool to_primary = false;         // the read goes to the primary's shared link (not a replica)
};

enum class CacheUse : std::uint8_t {
  kNone,         // neither served nor stored: forwarded as if the cache were off
  kServeOrFill,  // answered from the cache if there, else forwarded and its reply may be stored
  kServeOnly,    // answered from the cache if there, else forwarded and its reply not stored
};
CacheUse cache_use(const CacheReadFacts& r);

// What a request that may write does to the cache.
enum class WriteScope : std::uint8_t {
  kNone,  // not a write (a read, PING, PUBLISH ...)
  kKeys,  // a write to the keys the command table lists: those keys' buckets
  kAll,   // a write whose keys cannot be listed: a script, FLUSHALL, SWAPDB, EXEC, an unknown
          // command: the whole cache
};
// `spec` null: an unknown command (Funnel sends it to the primary: it may write).
WriteScope write_scope(const command::CommandSpec* spec, bool read_only);

// True if `key` starts with one of `prefixes`.
bool under_prefix(std::string_view key, const std::vector<std::string>& prefixes);

// shield.near_cache_prefixes: split on spaces or commas; `error` set (and the result empty) if
// there are none or two overlap (one a prefix of another: Redis refuses BCAST with those).
std::vector<std::string> split_prefixes(std::string_view list, std::string& error);

// The default shield.near_cache_commands.
std::string_view default_near_cache_commands();
// shield.near_cache_commands: coalescible reads (coalesce_rule.hpp) whose first argument is their
// only key or the first of a list (MGET, EXISTS: cached only with one key). Others go to `refused`.
std::vector<std::string> split_near_cache_commands(std::string_view list,
                                                   std::vector<std::string>& refused);
// True if a request of `argc` arguments (name included) of `spec` names exactly one key, at 1.
bool names_one_key(const command::CommandSpec& spec, std::size_t argc);

}  // namespace funnel::routing
