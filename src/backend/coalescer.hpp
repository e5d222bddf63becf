// In-flight read coalescing on one backend link (issue #18, docs/spike-shield.md). A read the
// session offers (OfferScope, set around its submit) is looked up among the identical reads
// still waiting in the link's unsent batch; if routing::join_verdict allows, it becomes a
// follower of that leader and gets a copy of the leader's reply, in its own client's order (the
// reply fills its ReplyQueue slot like any other). No I/O: BackendLink calls it.
//
// Costs: nothing on a link no read was offered to (the table is made on the first offer); per
// offered read, one hash of its bytes and one probe of a direct-mapped table of the reads
// queued since the link's whole output was last written (which empties it by bumping a stamp).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "backend/pipeline.hpp"
#include "routing/coalesce_rule.hpp"

namespace funnel::backend {

// What the session offers with a coalescible read (routing::offer_verdict held).
struct ReadOffer {
  routing::Earlier earlier = routing::Earlier::kNone;
  bool unsafe_for_tests = false;  // shield.coalesce_unsafe_for_tests
};

// The offer of the read being submitted on this thread, or none. Lives on the stack of the
// session's forward(); BackendLink::submit reads it (a request handed to another worker leaves
// it behind and is simply not coalesced).
class OfferScope {
 public:
  explicit OfferScope(const ReadOffer& offer) : outer_(current_) { current_ = &offer; }
  ~OfferScope() { current_ = outer_; }
  OfferScope(const OfferScope&) = delete;
  OfferScope& operator=(const OfferScope&) = delete;
  static const ReadOffer* current() { return current_; }

 private:
  // constinit: BackendLink::submit reads it per request, and a thread_local defined in another
  // file costs a TLS wrapper call there; this is one load.
  static inline constinit thread_local const ReadOffer* current_ = nullptr;
  const ReadOffer* outer_;
};

// A read answered with its leader's reply.
struct Follower {
  std::uint64_t leader = 0;  // the leader's absolute pipeline index (Pipeline::absolute)
  ReplyTarget target;
};

class LinkCoalescer {
 public:
  explicit LinkCoalescer(bool unsafe_for_tests) : unsafe_(unsafe_for_tests) {}

  // The link's state an offer is judged against.
  struct LinkView {
    const Pipeline& pipeline;
    std::string_view out;  // the link's output stream from out_base on
    std::uint64_t out_base;
    std::uint64_t sent;  // first stream byte not yet written
  };

  // Looks for a leader R may join; returns its absolute index, or kNone. Remembers the hash of
  // `request` for note_leader().
  static constexpr std::uint64_t kNone = UINT64_MAX;
  std::uint64_t find_leader(std::string_view request, const ReplyTarget& r, const ReadOffer& offer,
                            const LinkView& link);
  // The offered read that found no leader was pushed at absolute index `index`: later identical
  // reads may join it while it is unsent.
  void note_leader(std::uint64_t index, std::uint32_t length);
  void add_follower(std::uint64_t leader, const ReplyTarget& target) {
    followers_.push_back(Follower{leader, target});
  }
  // The whole output went to the socket: no read noted so far may be joined (the unsafe test
  // mode keeps them, which is the bug the history checker must catch).
  void batch_written() {
    if (!unsafe_) ++stamp_;
  }
  // The link restarted or dropped its queue: nothing noted may be joined.
  void restart() { ++stamp_; }
  // Calls fn(target) for every follower, and forgets them.
  template <typename Fn>
  void take_all(Fn&& fn) {
    for (const Follower& f : followers_) fn(f.target);
    followers_.clear();
  }
  // Calls fn(target) for each follower of `leader`, in the order they joined, and forgets them.
  template <typename Fn>
  void take_followers(std::uint64_t leader, Fn&& fn) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < followers_.size(); ++i) {
      if (followers_[i].leader == leader) {
        fn(followers_[i].target);
      } else {
        followers_[kept++] = followers_[i];
      }
    }
    followers_.resize(kept);
  }
  std::size_t followers() const { return followers_.size(); }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t index = 0;  // absolute pipeline index of the leader
    std::uint32_t stamp = 0;  // valid while equal to stamp_
    std::uint32_t length = 0;
  };
  static constexpr std::size_t kSlots = 64;
  bool client_behind(const Pipeline& pipeline, std::uint64_t leader, const ReplyTarget& r) const;

  std::array<Slot, kSlots> slots_{};
  std::uint32_t stamp_ = 1;
  bool unsafe_ = false;
  std::uint64_t hash_ = 0;  // of the last offered request (find_leader -> note_leader)
  std::vector<Follower> followers_;
};

}  // namespace funnel::backend
