// HelloReply: HELLO's reply from prebuilt bytes. Every node-redis 6 connection opens with HELLO 3,
// so a connection per invocation pays for this reply once per invocation; built with ReplyWriter
// it cost ~2,500 instructions (14 bulk strings and headers), about a tenth of Funnel's work per
// invocation (bench/invocation-path.sh instructions). Only the client id differs between clients:
// the bytes before and after it are built once per protocol and backend version, then reused.
// No I/O; one per worker (not thread-safe).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "resp/writer.hpp"

namespace funnel::client {

class HelloReply {
 public:
  // Appends the reply to HELLO for client `id` speaking `protocol`, with the backend's `version`.
  void write(std::string& out, resp::Protocol protocol, std::string_view version, std::uint64_t id);

 private:
  struct Parts {
    bool built = false;
    std::string version;
    std::string head;  // up to and including the "id" key
    std::string tail;  // after the id's value
  };
  static void build(Parts& parts, resp::Protocol protocol, std::string_view version);
  std::array<Parts, 2> parts_;  // RESP2, RESP3
};

}  // namespace funnel::client
