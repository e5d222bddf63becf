// The near cache's TTL probe and MGET elements (near_cache_multi.hpp).
#include "routing/near_cache_multi.hpp"

#include <charconv>

namespace funnel::routing {

bool probe_allows_caching(std::string_view pttl_reply) {
  return pttl_reply == ":-1\r\n" || pttl_reply == ":-2\r\n";
}

void encode_probe(std::string_view key, std::string& out) {
  out.assign("*2\r\n$4\r\nPTTL\r\n$");
  out.append(std::to_string(key.size()));
  out.append("\r\n");
  out.append(key);
  out.append("\r\n");
}

namespace {
// Reads a decimal length after the type byte at `pos` up to CRLF; false if malformed.
bool read_length(std::string_view reply, std::size_t& pos, long long& length) {
  const std::size_t crlf = reply.find("\r\n", pos + 1);
  if (crlf == std::string_view::npos) return false;
  const auto [end, ec] = std::from_chars(reply.data() + pos + 1, reply.data() + crlf, length);
  if (ec != std::errc() || end != reply.data() + crlf) return false;
  pos = crlf + 2;
  return true;
}

// One bulk string or null at `pos`: its bytes (header included) go to `out`.
bool read_element(std::string_view reply, std::size_t& pos, std::vector<std::string_view>& out) {
  const std::size_t start = pos;
  if (pos >= reply.size()) return false;
  if (reply[pos] == '_') {
    if (reply.substr(pos, 3) != "_\r\n") return false;
    pos += 3;
  } else if (reply[pos] == '$') {
    long long length = 0;
    if (!read_length(reply, pos, length) || length < -1) return false;
    if (length >= 0) {
      const auto size = static_cast<std::size_t>(length);
      if (reply.size() - pos < size + 2 || reply.substr(pos + size, 2) != "\r\n") return false;
      pos += size + 2;
    }
  } else {
    return false;
  }
  out.push_back(reply.substr(start, pos - start));
  return true;
}
}  // namespace

bool split_elements(std::string_view reply, std::size_t n, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t pos = 0;
  long long count = 0;
  if (reply.empty() || reply[0] != '*' || !read_length(reply, pos, count)) return false;
  if (count < 0 || static_cast<std::size_t>(count) != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (!read_element(reply, pos, out)) return false;
  }
  return pos == reply.size();
}

void append_array_header(std::string& out, std::size_t n) {
  out.push_back('*');
  out.append(std::to_string(n));
  out.append("\r\n");
}

}  // namespace funnel::routing
