// CLIENT REPLY OFF / SKIP: which of a client's outgoing frames are dropped. No I/O. Redis 7
// silences replies (prepareClientToWrite) but not what it sends while pushing (CLIENT_PUSHING):
// pub/sub (un)subscribe confirmations and messages go out in every mode and protocol, while
// PING's subscribe-mode form and errors are replies like any other.
#pragma once

#include <cstdint>

namespace funnel::client {

enum class Outgoing : std::uint8_t {
  kReply,       // a command's reply, or an error standing in for one
  kPubsubPush,  // a (P|S)(UN)SUBSCRIBE confirmation or a message
};

// `silenced`: the request it answers runs under CLIENT REPLY OFF, or right after SKIP.
constexpr bool reply_mode_sends(bool silenced, Outgoing what) {
  return !silenced || what == Outgoing::kPubsubPush;
}

}  // namespace funnel::client
