// Pub/sub state on the client side, no I/O: what one session is subscribed to (and the counts
// Redis puts in its replies), the worker's index from each channel / pattern / shard channel to
// its local subscribers, and the reply bytes Redis sends for (un)subscribe and PING. The backend
// side (one subscriber link for the whole process) is server/pubsub_hub.*.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backend/pubsub_protocol.hpp"
#include "resp/writer.hpp"

namespace funnel::client {

class ClientSession;
using backend::PubsubKind;

// One session's subscriptions, allocated on its first (P|S)SUBSCRIBE. Names keep the order they
// were subscribed in (UNSUBSCRIBE without arguments answers in that order).
class SessionSubscriptions {
 public:
  explicit SessionSubscriptions(ClientSession* owner) : owner_(owner) {}

  // True if the name was not yet subscribed (of that kind).
  bool add(PubsubKind kind, std::string_view name);
  // True if the name was subscribed.
  bool remove(PubsubKind kind, std::string_view name);
  bool contains(PubsubKind kind, std::string_view name) const;
  // The count Redis 7 puts in a reply of this kind: channels + patterns for (P)(UN)SUBSCRIBE,
  // shard channels alone for S(UN)SUBSCRIBE.
  std::int64_t reply_count(PubsubKind kind) const;
  // Any subscription at all: Redis's "subscribe mode" (RESP2 clients may then run only the
  // pub/sub commands, PING, QUIT and RESET), and the pubsub output-buffer class.
  std::size_t total() const;
  std::size_t count(PubsubKind kind) const {
    return names_[static_cast<std::size_t>(kind)].order.size();
  }
  // Names of one kind, oldest first.
  std::vector<std::string> names(PubsubKind kind) const;

  ClientSession* owner() const { return owner_; }

  // A (P|S)SUBSCRIBE whose reply waits for the backend's confirmation of `awaiting` names.
  // The session reads no further request until the reply has been written (see ClientSession).
  struct Pending {
    std::uint64_t seq = 0;
    std::string reply;
    unsigned awaiting = 0;
    bool active = false;
    PubsubKind kind = PubsubKind::kChannel;
    std::vector<std::string> added;  // names this command added (undone if never confirmed)
    std::int64_t since_ms = 0;
    std::uint16_t command_id = 0;
    bool silent = false;  // sent under CLIENT REPLY OFF / SKIP
  };
  Pending pending;
  // Pushes that arrived while a confirmation was still queued behind earlier replies: they go
  // out right after it, never before.
  std::string held_pushes;
  std::int64_t soft_limit_since_ms = -1;  // over the pubsub soft output limit since (or -1)

 private:
  struct Names {
    std::unordered_map<std::string, std::uint64_t> order;  // name -> subscription number
  };
  Names names_[static_cast<std::size_t>(PubsubKind::kCount)];
  std::uint64_t next_order_ = 0;
  ClientSession* owner_;
};

// One worker's index: for each channel / pattern / shard channel, its local subscribers and
// whether the backend subscription is confirmed. Only transitions (first local subscriber in,
// last out) concern the hub.
class SubscriptionIndex {
 public:
  struct Entry {
    std::vector<SessionSubscriptions*> members;
    std::vector<SessionSubscriptions*> waiting;  // members whose reply awaits confirmation
    bool confirmed = false;
  };

  // Adds a member. Returns true when it is the first on this worker (ask the hub to subscribe).
  // `confirmed` tells whether the backend subscription is already confirmed; when it is not, the
  // member is put on the waiting list.
  bool join(PubsubKind kind, std::string_view name, SessionSubscriptions* member, bool& confirmed);
  // Removes a member (also from the waiting list). Returns true when it was the last on this
  // worker (ask the hub to unsubscribe).
  bool leave(PubsubKind kind, std::string_view name, SessionSubscriptions* member);
  // The backend confirmed: marks the entry and returns (and clears) its waiting members.
  std::vector<SessionSubscriptions*> confirm(PubsubKind kind, std::string_view name);
  // Members of an entry; null when there are none.
  const std::vector<SessionSubscriptions*>* members(PubsubKind kind, std::string_view name) const;
  std::size_t entries(PubsubKind kind) const { return map(kind).size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;
  Map& map(PubsubKind kind) { return maps_[static_cast<std::size_t>(kind)]; }
  const Map& map(PubsubKind kind) const { return maps_[static_cast<std::size_t>(kind)]; }
  Map maps_[static_cast<std::size_t>(PubsubKind::kCount)];
};

// The hub's side as a session sees it: called on the worker's thread when the first local
// subscriber of a name arrives and when the last one leaves. Implemented by the server.
class PubsubBus {
 public:
  virtual ~PubsubBus() = default;
  virtual void want(PubsubKind kind, std::string_view name) = 0;
  virtual void unwant(PubsubKind kind, std::string_view name) = 0;
};

// One batch from the hub to one worker, in the order the subscriber link read it: confirmations
// of backend subscriptions and pushes to fan out. One post per batch, never one per message.
struct PubsubDelivery {
  struct Item {
    bool confirm = false;
    // The node ended the subscription itself (cluster mode: a shard channel's slot moved): its
    // subscribers get Redis's sunsubscribe push and lose it.
    bool dropped = false;
    PubsubKind kind = PubsubKind::kChannel;
    std::uint32_t key_offset = 0, key_length = 0;    // into bytes
    std::uint32_t push_offset = 0, push_length = 0;  // the whole push (messages only)
  };
  std::string bytes;
  std::vector<Item> items;
  bool empty() const { return items.empty(); }
};

// "*3 $9 subscribe $<n> <name> :<count>" (">3 ..." in RESP3); `name` null writes Redis's null
// for "unsubscribe with nothing subscribed" ($-1 in RESP2, _ in RESP3).
void write_subscription_reply(std::string& out, resp::Protocol protocol, std::string_view word,
                              const std::string_view* name, std::int64_t count);
// PING while a RESP2 client is in subscribe mode: ["pong", <argument or "">].
void write_subscribed_ping(std::string& out, std::string_view argument);
// Appends a push as read from the (RESP3) subscriber link, re-headed for the client's protocol:
// a message is an array of bulk strings in either protocol, only the type byte differs.
void append_push(std::string& out, resp::Protocol protocol, std::string_view push);

}  // namespace funnel::client
