// Keyless fan-out over a cluster's primaries (issue #16, item 5), the pure parts: one SCAN cursor
// that walks every shard in turn, and the reply rewrite that carries it. DBSIZE's sum and KEYS's
// concatenation are ReplyMerge kinds (reply_merge.hpp). No I/O; the carry-out sends the request
// to the shard the cursor names (or to every primary for DBSIZE/KEYS).
//
// Cursor: the shard's index in the top kShardBits bits of the 64-bit cursor, the node's own
// cursor below. Redis's cursors index hash-table buckets in reverse-binary order, so they stay
// below 2^54 for any table a node can hold, and a node cursor with a top bit set is refused (it
// would be one the client made up). Cursor 0 starts at shard 0; when a shard answers cursor 0
// the walk moves to the next shard with cursor 0, and after the last it answers 0.
// Guarantee, as Redis's: every key present in its shard for the whole scan is returned at least
// once (duplicates possible). If the slot map changes mid-scan (a slot moves between shards),
// the shard indexes may no longer mean the same nodes; the carry-out then answers an error
// rather than miss keys (the client restarts the scan).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace funnel::routing {

inline constexpr int kShardBits = 10;  // up to 1024 primaries
inline constexpr std::uint64_t kNodeCursorMask = (std::uint64_t{1} << (64 - kShardBits)) - 1;

struct ShardCursor {
  std::uint32_t shard = 0;
  std::uint64_t node_cursor = 0;
};

// Parses a client's cursor (decimal, as Redis's). False: not a number Redis would accept, or a
// shard index at or past `shards` (the reply is then Redis's "ERR invalid cursor").
bool decode_scan_cursor(std::string_view text, std::uint32_t shards, ShardCursor& out);
std::uint64_t encode_scan_cursor(const ShardCursor& cursor);

// The cursor to give the client after shard `shard` answered `node_next`: the same shard with
// the node's cursor, the next shard from 0, or 0 once the last shard is done. False: the node's
// cursor has a top bit set (it cannot be encoded; the caller answers an error).
bool next_scan_cursor(std::uint32_t shard, std::uint64_t node_next, std::uint32_t shards,
                      std::uint64_t& out);

// Rewrites a node's SCAN reply (*2, $cursor, the keys array) for the client: the cursor
// replaced by next_scan_cursor's, the keys copied as sent. Appends to `out`; false (nothing
// appended) for a reply of another shape or a cursor that cannot be encoded. Errors are passed
// through by the caller.
bool rewrite_scan_reply(std::string_view reply, std::uint32_t shard, std::uint32_t shards,
                        std::string& out);

}  // namespace funnel::routing
