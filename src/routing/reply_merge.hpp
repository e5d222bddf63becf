// Combines the replies of a cross-slot request's parts (routing/slot_split.hpp) into the reply
// one Redis would have sent (issue #16, item 4). Parts' replies arrive in any order (different
// links, different shards); the merge keeps only what it needs: a running sum or OK for
// DEL/EXISTS/... and MSET, each part's reply bytes for MGET (whose values go back in the client's
// key order at the end). Errors: any part's error is the client's reply; of several, the one of
// the part holding the earliest key in the client's order (the lowest part index) wins. Works
// the same in RESP2 and RESP3 (MGET's array and nulls are copied as the node sent them). No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "routing/shard_scan.hpp"

namespace funnel::routing {

enum class MergeKind : std::uint8_t {
  kKeyOrderArray,  // MGET
  kAllOk,          // MSET
  kSum,            // DEL, UNLINK, EXISTS, TOUCH; DBSIZE over every primary
  kConcatArrays,   // KEYS over every primary: the parts' arrays one after the other
  // Keyless fan-out (keyless_merge.hpp, shard_scan.hpp):
  kAgree,       // SCRIPT LOAD/FLUSH, FUNCTION LOAD/FLUSH/DELETE: the reply when all agree
  kAndArrays,   // SCRIPT EXISTS: 1 only where every node answered 1
  kRandomPick,  // RANDOMKEY: a random non-null reply (set_pick)
  kScan,        // SCAN, one part: the node's reply with the client's cursor (set_scan)
};

class ReplyMerge {
 public:
  // `key_part` is SlotSplit::key_part (kept for kKeyOrderArray), `keys_per_part` the parts' key
  // counts.
  ReplyMerge(MergeKind kind, std::vector<std::uint16_t> key_part,
             const std::vector<std::uint32_t>& keys_per_part);

  // Takes part `index`'s whole reply (bytes valid only during the call). Returns true once every
  // part's reply is in. A second reply for a part is ignored.
  bool add(std::size_t index, std::string_view reply);
  bool complete() const { return missing_ == 0; }

  // kRandomPick: the number that chooses among the non-null replies.
  void set_pick(std::uint32_t pick) { pick_ = pick; }
  // kScan: where the one part went (its shard, the map's tag) and how many shards the map has.
  void set_scan(const ShardCursor& at, std::uint32_t shards) {
    scan_at_ = at;
    scan_shards_ = shards;
  }

  // The client's reply, once complete().
  void finish(std::string& out);

  // Heap bytes held (stashed MGET replies and the key order), for the session's budget.
  std::size_t held_bytes() const { return held_; }

 private:
  void keep_error(std::size_t index, std::string_view reply);
  void add_sum(std::size_t index, std::string_view reply);
  void finish_array(std::string& out);
  void finish_concat(std::string& out);

  MergeKind kind_;
  std::vector<std::uint16_t> key_part_;
  std::vector<std::uint32_t> keys_per_part_;
  std::vector<std::string> replies_;  // every kind but kSum and kAllOk: each part's reply
  std::vector<bool> arrived_;
  std::size_t missing_ = 0;
  std::size_t held_ = 0;
  std::int64_t sum_ = 0;
  std::size_t error_part_ = SIZE_MAX;  // the winning error's part, SIZE_MAX: none
  std::string error_;
  std::uint32_t pick_ = 0;
  ShardCursor scan_at_;
  std::uint32_t scan_shards_ = 1;
};

}  // namespace funnel::routing
