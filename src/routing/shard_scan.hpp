// Keyless fan-out over a cluster's primaries (issue #16, item 5), the pure parts: one SCAN cursor
// that walks every shard in turn, the request each shard gets, and the reply rewrite that carries
// the cursor back. DBSIZE's sum, KEYS's concatenation and the other merges are ReplyMerge kinds
// (reply_merge.hpp, keyless_merge.hpp). No I/O; the carry-out (client/session_keyless.cpp) sends
// the request to the shard the cursor names.
//
// Cursor (64 bits, decimal as Redis's): the shard's index in the top kShardBits bits, a tag of
// the slot map in the next kTagBits, the node's own cursor in the low kNodeBits. Redis's cursors
// index hash-table buckets in reverse-binary order, so they stay below the table's size: 2^42
// buckets is far past any node's memory, and a node cursor that does not fit is answered with an
// error rather than truncated. Cursor 0 starts at shard 0; when a shard answers cursor 0 the walk
// moves to the next shard with cursor 0, and after the last it answers 0.
//
// Guarantee, as Redis's: every key present for the whole scan is returned at least once
// (duplicates possible). The tag is a hash of the map (each shard's primary and the slots it
// serves): if a slot moved between shards since the cursor was given (a slot of a shard not yet
// walked may now be in one already walked), the tag differs and the walk starts again at shard 0,
// cursor 0: duplicates, never a miss. Keys moved by a migration the map does not show yet (MIGRATE
// before the slot's owner changes) are the fragile case: see docs/cluster.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "resp/request_parser.hpp"
#include "routing/slot_map.hpp"

namespace funnel::routing {

inline constexpr int kShardBits = 10;  // up to 1024 primaries
inline constexpr int kTagBits = 12;
inline constexpr int kNodeBits = 64 - kShardBits - kTagBits;
inline constexpr std::uint64_t kNodeCursorMask = (std::uint64_t{1} << kNodeBits) - 1;
inline constexpr std::uint32_t kTagMask = (1u << kTagBits) - 1;

struct ShardCursor {
  std::uint32_t shard = 0;
  std::uint32_t tag = 0;
  std::uint64_t node_cursor = 0;
};

// The map's tag (kTagBits): the same for the same shards serving the same slots.
std::uint32_t scan_map_tag(const SlotMap& map);

enum class CursorCheck : std::uint8_t {
  kValid,    // `out` names a shard of this map
  kRestart,  // made under another map (or by the client): `out` is shard 0, cursor 0
  kInvalid,  // not a number Redis would accept: "ERR invalid cursor"
};

// Parses a client's cursor against the current map (`shards` primaries, tag `tag`).
CursorCheck decode_scan_cursor(std::string_view text, std::uint32_t shards, std::uint32_t tag,
                               ShardCursor& out);
std::uint64_t encode_scan_cursor(const ShardCursor& cursor);

// The cursor to give the client after shard `shard` answered `node_next`: the same shard with
// the node's cursor, the next shard from 0, or 0 once the last shard is done. False: the node's
// cursor does not fit kNodeBits (the caller answers an error).
bool next_scan_cursor(std::uint32_t shard, std::uint64_t node_next, std::uint32_t shards,
                      std::uint32_t tag, std::uint64_t& out);

// The request for the shard: the client's SCAN with its cursor replaced by `node_cursor`
// (MATCH, COUNT, TYPE passed as sent). Appends to `out`.
void scan_request_for_node(const resp::Request& request, std::uint64_t node_cursor,
                           std::string& out);

// Rewrites a node's SCAN reply (*2, $cursor, the keys array) for the client: the cursor
// replaced by next_scan_cursor's, the keys copied as sent. Appends to `out`; false (nothing
// appended) for a reply of another shape or a cursor that cannot be encoded. Errors are passed
// through by the caller.
bool rewrite_scan_reply(std::string_view reply, const ShardCursor& at, std::uint32_t shards,
                        std::string& out);

}  // namespace funnel::routing
