// The pub/sub vocabulary shared by the subscriber link, the hub and the clients' index: the three
// kinds of subscription, the commands that change them, and reading the pushes a RESP3 subscriber
// link receives (which subscription a message belongs to, and confirmations). No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace funnel::backend {

// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE: channels, patterns and shard channels. Each is a separate
// namespace in Redis ("a*" as a channel is not the pattern "a*").
enum class PubsubKind : std::uint8_t { kChannel, kPattern, kShard, kCount };

// "subscribe", "psubscribe", "ssubscribe" (the words Redis puts in its confirmations).
std::string_view subscribe_word(PubsubKind kind);
// "unsubscribe", "punsubscribe", "sunsubscribe".
std::string_view unsubscribe_word(PubsubKind kind);
// "message", "pmessage", "smessage".
std::string_view message_word(PubsubKind kind);

// SUBSCRIBE name... (or UNSUBSCRIBE ...) as one multibulk request.
std::string encode_pubsub_command(PubsubKind kind, bool subscribe,
                                  const std::vector<std::string_view>& names);

struct PubsubPush {
  enum class Type : std::uint8_t { kMessage, kSubscribed, kUnsubscribed, kOther };
  Type type = Type::kOther;
  PubsubKind kind = PubsubKind::kChannel;
  std::string_view key;  // the channel, pattern or shard channel (a view into the push)
};

// Reads a complete framed push (or RESP2 array) as Redis sends them to a subscriber: messages
// (message / pmessage / smessage, keyed by the channel or the pattern they matched) and
// (un)subscribe confirmations. Anything else is Type::kOther. Never allocates.
PubsubPush read_pubsub_push(std::string_view reply);

}  // namespace funnel::backend
