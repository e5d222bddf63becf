// HelloReply (see hello_reply.hpp): the same bytes ReplyWriter would write, in two prebuilt parts.
#include "client/hello_reply.hpp"

#include <charconv>

namespace funnel::client {

void HelloReply::write(std::string& out, resp::Protocol protocol, std::string_view version,
                       std::uint64_t id) {
  Parts& parts = parts_[protocol == resp::Protocol::kResp3 ? 1 : 0];
  if (!parts.built || parts.version != version) build(parts, protocol, version);
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, id).ptr;
  out.append(parts.head);
  out.append(digits, end);
  out.append(parts.tail);
}

// Redis's HELLO map: server, version, proto, id, mode, role, modules. The id is an integer
// (":<id>\r\n"): head ends with the ':' and tail starts with its "\r\n".
void HelloReply::build(Parts& parts, resp::Protocol protocol, std::string_view version) {
  parts.head.clear();
  parts.tail.clear();
  resp::ReplyWriter head(parts.head, protocol);
  head.map_header(7);
  head.bulk("server");
  head.bulk("redis");
  head.bulk("version");
  head.bulk(version);
  head.bulk("proto");
  head.integer(protocol == resp::Protocol::kResp3 ? 3 : 2);
  head.bulk("id");
  parts.head.push_back(':');
  parts.tail = "\r\n";
  resp::ReplyWriter tail(parts.tail, protocol);
  tail.bulk("mode");
  tail.bulk("standalone");
  tail.bulk("role");
  tail.bulk("master");
  tail.bulk("modules");
  tail.array_header(0);
  parts.version.assign(version);
  parts.built = true;
}

}  // namespace funnel::client
