// Keyless merges (see keyless_merge.hpp).
#include "routing/keyless_merge.hpp"

#include <charconv>
#include <string_view>

namespace funnel::routing {
namespace {

bool is_null(std::string_view reply) {
  return reply == "$-1\r\n" || reply == "_\r\n";
}

// Walks an array of small integers: "*<n>\r\n" then n of ":<0|1>\r\n".
bool integer_array(std::string_view reply, std::vector<bool>& values) {
  values.clear();
  const std::size_t eol = reply.find("\r\n");
  std::size_t count = 0;
  if (reply.empty() || reply[0] != '*' || eol == std::string_view::npos) return false;
  auto [end, ec] = std::from_chars(reply.data() + 1, reply.data() + eol, count);
  if (ec != std::errc() || end != reply.data() + eol) return false;
  std::string_view rest = reply.substr(eol + 2);
  for (std::size_t i = 0; i < count; ++i) {
    if (rest.size() < 4 || rest[0] != ':' || rest.substr(2, 2) != "\r\n") return false;
    if (rest[1] != '0' && rest[1] != '1') return false;
    values.push_back(rest[1] == '1');
    rest.remove_prefix(4);
  }
  return rest.empty();
}

}  // namespace

void merge_agree(const std::vector<std::string>& replies, std::string& out) {
  for (const std::string& reply : replies) {
    if (reply != replies.front()) {
      out.append(kNodesDisagree);
      return;
    }
  }
  if (!replies.empty()) out.append(replies.front());
}

void merge_and_arrays(const std::vector<std::string>& replies, std::string& out) {
  std::vector<bool> all;
  std::vector<bool> one;
  for (std::size_t p = 0; p < replies.size(); ++p) {
    if (!integer_array(replies[p], one) || (p > 0 && one.size() != all.size())) {
      out.append(kUnexpectedPart);
      return;
    }
    if (p == 0) all = one;
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = all[i] && one[i];
  }
  out.push_back('*');
  out.append(std::to_string(all.size()));
  out.append("\r\n");
  for (const bool value : all) out.append(value ? ":1\r\n" : ":0\r\n");
}

void merge_random_pick(const std::vector<std::string>& replies, std::uint32_t pick,
                       std::string& out) {
  std::size_t non_null = 0;
  for (const std::string& reply : replies) non_null += is_null(reply) ? 0 : 1;
  if (non_null == 0) {
    if (!replies.empty()) out.append(replies.front());
    return;
  }
  std::size_t chosen = pick % non_null;
  for (const std::string& reply : replies) {
    if (is_null(reply)) continue;
    if (chosen-- == 0) {
      out.append(reply);
      return;
    }
  }
}

}  // namespace funnel::routing
