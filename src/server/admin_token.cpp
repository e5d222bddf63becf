// AdminToken (see admin_token.hpp).
#include "server/admin_token.hpp"

namespace funnel::server {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// ASCII case-insensitive prefix match against a lower-case word.
bool starts_with_word(std::string_view text, std::string_view lower_word) {
  if (text.size() < lower_word.size()) return false;
  for (std::size_t i = 0; i < lower_word.size(); ++i) {
    const char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != lower_word[i]) return false;
  }
  return true;
}

}  // namespace

AdminToken::AdminToken(const std::optional<std::string>& token) {
  if (token) digest_ = security::sha256(*token);
}

bool AdminToken::accepts(std::string_view authorization) const {
  if (!digest_) return true;
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() || !starts_with_word(authorization, kScheme) ||
      !is_space(authorization[kScheme.size()])) {
    return false;
  }
  std::string_view given = authorization.substr(kScheme.size());
  while (!given.empty() && is_space(given.front())) given.remove_prefix(1);
  while (!given.empty() && is_space(given.back())) given.remove_suffix(1);
  // Hash even an empty guess: every refusal costs the same.
  return security::digest_equal(security::sha256(given), *digest_) && !given.empty();
}

}  // namespace funnel::server
