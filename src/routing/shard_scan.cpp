// The cluster SCAN cursor (see shard_scan.hpp).
#include "routing/shard_scan.hpp"

#include <charconv>

namespace funnel::routing {
namespace {

bool parse_u64(std::string_view text, std::uint64_t& value) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

bool decode_scan_cursor(std::string_view text, std::uint32_t shards, ShardCursor& out) {
  std::uint64_t value = 0;
  if (!parse_u64(text, value)) return false;
  out.shard = static_cast<std::uint32_t>(value >> (64 - kShardBits));
  out.node_cursor = value & kNodeCursorMask;
  return out.shard < shards;
}

std::uint64_t encode_scan_cursor(const ShardCursor& cursor) {
  return (static_cast<std::uint64_t>(cursor.shard) << (64 - kShardBits)) |
         (cursor.node_cursor & kNodeCursorMask);
}

bool next_scan_cursor(std::uint32_t shard, std::uint64_t node_next, std::uint32_t shards,
                      std::uint64_t& out) {
  if ((node_next & ~kNodeCursorMask) != 0) return false;
  if (node_next != 0) {
    out = encode_scan_cursor({shard, node_next});
  } else {
    out = shard + 1 < shards ? encode_scan_cursor({shard + 1, 0}) : 0;
  }
  return true;
}

bool rewrite_scan_reply(std::string_view reply, std::uint32_t shard, std::uint32_t shards,
                        std::string& out) {
  // "*2\r\n$<n>\r\n<cursor>\r\n<keys array>"
  if (!reply.starts_with("*2\r\n$")) return false;
  const std::size_t len_end = reply.find("\r\n", 5);
  std::uint64_t len = 0;
  if (len_end == std::string_view::npos || !parse_u64(reply.substr(5, len_end - 5), len)) {
    return false;
  }
  const std::size_t body = len_end + 2;
  if (reply.size() < body + len + 2 || reply.substr(body + len, 2) != "\r\n") return false;
  std::uint64_t node_next = 0;
  std::uint64_t next = 0;
  if (!parse_u64(reply.substr(body, len), node_next) ||
      !next_scan_cursor(shard, node_next, shards, next)) {
    return false;
  }
  const std::string cursor = std::to_string(next);
  out.append("*2\r\n$");
  out.append(std::to_string(cursor.size()));
  out.append("\r\n");
  out.append(cursor);
  out.append("\r\n");
  out.append(reply.substr(body + len + 2));
  return true;
}

}  // namespace funnel::routing
