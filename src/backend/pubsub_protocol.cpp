// Pub/sub commands and pushes (see pubsub_protocol.hpp).
#include "backend/pubsub_protocol.hpp"

#include <array>
#include <charconv>

#include "backend/handshake.hpp"

namespace funnel::backend {
namespace {

constexpr std::array<std::string_view, 3> kSubscribe = {"subscribe", "psubscribe", "ssubscribe"};
constexpr std::array<std::string_view, 3> kUnsubscribe = {"unsubscribe", "punsubscribe",
                                                          "sunsubscribe"};
constexpr std::array<std::string_view, 3> kMessage = {"message", "pmessage", "smessage"};

std::size_t index_of(PubsubKind kind) {
  return static_cast<std::size_t>(kind);
}

// Reads "<prefix><digits>\r\n" at `pos`; advances past it.
bool read_line_number(std::string_view in, std::size_t& pos, char prefix, std::int64_t& value) {
  if (pos >= in.size() || in[pos] != prefix) return false;
  const std::size_t end = in.find("\r\n", pos);
  if (end == std::string_view::npos) return false;
  const char* first = in.data() + pos + 1;
  const char* last = in.data() + end;
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last) return false;
  pos = end + 2;
  return true;
}

// Reads one bulk string at `pos` ("$<n>\r\n<bytes>\r\n"); advances past it.
bool read_bulk(std::string_view in, std::size_t& pos, std::string_view& out) {
  std::int64_t length = 0;
  if (!read_line_number(in, pos, '$', length) || length < 0) return false;
  const auto n = static_cast<std::size_t>(length);
  if (pos + n + 2 > in.size()) return false;
  out = in.substr(pos, n);
  pos += n + 2;
  return true;
}

bool find_word(const std::array<std::string_view, 3>& words, std::string_view word,
               PubsubKind& kind) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == word) {
      kind = static_cast<PubsubKind>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view subscribe_word(PubsubKind kind) {
  return kSubscribe[index_of(kind)];
}
std::string_view unsubscribe_word(PubsubKind kind) {
  return kUnsubscribe[index_of(kind)];
}
std::string_view message_word(PubsubKind kind) {
  return kMessage[index_of(kind)];
}

std::string encode_pubsub_command(PubsubKind kind, bool subscribe,
                                  const std::vector<std::string_view>& names) {
  std::vector<std::string_view> args;
  args.reserve(names.size() + 1);
  args.push_back(subscribe ? subscribe_word(kind) : unsubscribe_word(kind));
  args.insert(args.end(), names.begin(), names.end());
  return encode_args(args);
}

PubsubPush read_pubsub_push(std::string_view reply) {
  PubsubPush push;
  std::size_t pos = 0;
  std::int64_t count = 0;
  if (reply.empty() || (reply[0] != '>' && reply[0] != '*')) return push;
  if (!read_line_number(reply, pos, reply[0], count) || count < 3) return push;
  std::string_view word;
  if (!read_bulk(reply, pos, word)) return push;
  std::string_view key;
  if (!read_bulk(reply, pos, key)) return push;  // "unsubscribe" with nothing left: no key
  PubsubKind kind;
  if (find_word(kMessage, word, kind)) {
    push.type = PubsubPush::Type::kMessage;
  } else if (find_word(kSubscribe, word, kind)) {
    push.type = PubsubPush::Type::kSubscribed;
  } else if (find_word(kUnsubscribe, word, kind)) {
    push.type = PubsubPush::Type::kUnsubscribed;
  } else {
    return push;
  }
  push.kind = kind;
  push.key = key;
  return push;
}

}  // namespace funnel::backend
