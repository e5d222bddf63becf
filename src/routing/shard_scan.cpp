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

void append_bulk(std::string& out, std::string_view arg) {
  out.push_back('$');
  out.append(std::to_string(arg.size()));
  out.append("\r\n");
  out.append(arg);
  out.append("\r\n");
}

// FNV-1a over the bytes of `text`, folded into `hash`.
std::uint64_t fold(std::uint64_t hash, std::string_view text) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::uint32_t scan_map_tag(const SlotMap& map) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const Shard& shard : map.shards()) {
    hash = fold(hash, shard.primary.host);
    hash = fold(hash, std::to_string(shard.primary.port));
  }
  // The owner of every slot, as runs (a new run starts where the owner changes).
  std::uint16_t owner = SlotMap::kNoShard;
  for (std::uint16_t slot = 0; slot < kSlotCount; ++slot) {
    if (map.shard_index(slot) == owner) continue;
    owner = map.shard_index(slot);
    hash = fold(hash, std::to_string(slot) + ":" + std::to_string(owner));
  }
  return static_cast<std::uint32_t>((hash ^ (hash >> 32)) & kTagMask);
}

CursorCheck decode_scan_cursor(std::string_view text, std::uint32_t shards, std::uint32_t tag,
                               ShardCursor& out) {
  // Redis reads the cursor with strtoull: a sign is accepted ("-1" is 2^64 - 1).
  const bool negative = text.starts_with('-');
  if (negative || text.starts_with('+')) text.remove_prefix(1);
  std::uint64_t value = 0;
  if (!parse_u64(text, value)) return CursorCheck::kInvalid;
  if (negative) value = 0 - value;
  out = ShardCursor{0, tag, 0};
  if (value == 0) return CursorCheck::kValid;
  const ShardCursor given{static_cast<std::uint32_t>(value >> (64 - kShardBits)),
                          static_cast<std::uint32_t>((value >> kNodeBits) & kTagMask),
                          value & kNodeCursorMask};
  if (given.tag != tag || given.shard >= shards) return CursorCheck::kRestart;
  out = given;
  return CursorCheck::kValid;
}

std::uint64_t encode_scan_cursor(const ShardCursor& cursor) {
  return (static_cast<std::uint64_t>(cursor.shard) << (64 - kShardBits)) |
         (static_cast<std::uint64_t>(cursor.tag & kTagMask) << kNodeBits) |
         (cursor.node_cursor & kNodeCursorMask);
}

bool next_scan_cursor(std::uint32_t shard, std::uint64_t node_next, std::uint32_t shards,
                      std::uint32_t tag, std::uint64_t& out) {
  if ((node_next & ~kNodeCursorMask) != 0) return false;
  if (node_next != 0) {
    out = encode_scan_cursor({shard, tag, node_next});
  } else {
    out = shard + 1 < shards ? encode_scan_cursor({shard + 1, tag, 0}) : 0;
  }
  return true;
}

void scan_request_for_node(const resp::Request& request, std::uint64_t node_cursor,
                           std::string& out) {
  out.push_back('*');
  out.append(std::to_string(request.argc()));
  out.append("\r\n");
  append_bulk(out, request.arg(0));
  append_bulk(out, std::to_string(node_cursor));
  for (std::size_t i = 2; i < request.argc(); ++i) append_bulk(out, request.arg(i));
}

bool rewrite_scan_reply(std::string_view reply, const ShardCursor& at, std::uint32_t shards,
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
      !next_scan_cursor(at.shard, node_next, shards, at.tag, next)) {
    return false;
  }
  append_bulk(out.append("*2\r\n"), std::to_string(next));
  out.append(reply.substr(body + len + 2));
  return true;
}

}  // namespace funnel::routing
