// What PUBLISH, SPUBLISH and PUBSUB NUMSUB / SHARDNUMSUB answer through Funnel: the backend's
// count, with Funnel's one subscriber link (which Redis counts as one receiver per channel and
// per matching pattern it holds) replaced by the clients behind it, on every worker. No I/O.
//
// Exact for one Funnel instance once subscriptions have settled: a name counts its clients only
// while the backend has confirmed the link's subscription (messages reach them only then), and
// stops counting the link when the backend confirms the UNSUBSCRIBE. A PUBLISH that races the
// link's own (un)subscription may be off by one, as two connections give no order between them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backend/pubsub_protocol.hpp"
#include "resp/writer.hpp"

namespace funnel::client {

using backend::PubsubKind;

// Redis's pattern match for PSUBSCRIBE (stringmatchlen): security::glob_match's rules, except
// that only an empty pattern matches an empty channel.
bool pubsub_pattern_matches(std::string_view pattern, std::string_view channel);

// Process-wide; every member function is thread-safe. Changes come at (un)subscribe time, never
// per request; reads only for the four commands above.
class PubsubCounts {
 public:
  // A client of any worker subscribed (+1) or left (-1) `name`.
  void add_client(PubsubKind kind, std::string_view name, int delta);
  // The hub: the backend confirmed that the subscriber link (un)subscribed `name`.
  void set_on_link(PubsubKind kind, std::string_view name, bool on);
  // The hub: the subscriber link's connection is gone, and with it all its subscriptions.
  void link_lost();

  // PUBLISH (kChannel) or SPUBLISH (kShard) to `channel`: receivers as Redis would count them.
  std::int64_t publish_receivers(PubsubKind kind, std::string_view channel,
                                 std::int64_t backend_count) const;
  // NUMSUB (kChannel) or SHARDNUMSUB (kShard) of one channel.
  std::int64_t subscribers(PubsubKind kind, std::string_view channel,
                           std::int64_t backend_count) const;

 private:
  struct Entry {
    std::int64_t clients = 0;
    bool on_link = false;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;
  // What one name adds to the backend's count: its clients instead of the link.
  static std::int64_t correction(const Entry& entry) {
    return entry.on_link ? entry.clients - 1 : 0;
  }
  std::int64_t channel_correction(PubsubKind kind, std::string_view channel) const;
  void erase_if_unused(Map& map, Map::iterator it);
  Map& map(PubsubKind kind) { return maps_[static_cast<std::size_t>(kind)]; }
  const Map& map(PubsubKind kind) const { return maps_[static_cast<std::size_t>(kind)]; }

  mutable std::mutex mutex_;
  std::array<Map, 3> maps_;
  std::atomic<std::size_t> names_{0};  // entries in maps_: none, and every count is the backend's
};

// A reply whose count Funnel corrects (ReplyTarget::kSessionEdit): PUBLISH (kind kChannel) or
// SPUBLISH (kShard) to `channel`, or with `numsub` PUBSUB NUMSUB or SHARDNUMSUB (whose reply
// names its channels).
struct CountedReply {
  PubsubKind kind = PubsubKind::kChannel;
  bool numsub = false;
  std::string channel;
};

// A session's PUBLISH / NUMSUB requests in flight whose replies it corrects, by reply slot.
struct CountedReplies {
  std::vector<std::pair<std::uint64_t, CountedReply>> pending;
};

// Appends the corrected reply to `out`; the backend's `reply` unchanged when it is an error or
// not of the expected shape.
void correct_pubsub_count(const PubsubCounts& counts, const CountedReply& what,
                          std::string_view reply, resp::Protocol protocol, std::string& out);

}  // namespace funnel::client
