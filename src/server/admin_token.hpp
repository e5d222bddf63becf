// The admin endpoint's bearer token check (no I/O): "Authorization: Bearer <token>", the scheme
// in any case (RFC 7235 schemes are case-insensitive), compared as SHA-256 digests in constant
// time, so neither where a guess differs nor its length shows in the time taken.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "security/password_hash.hpp"

namespace funnel::server {

class AdminToken {
 public:
  // Without a token every request is accepted.
  explicit AdminToken(const std::optional<std::string>& token);
  bool required() const { return digest_.has_value(); }
  // True when `authorization` (the header's value, empty when absent) carries the token.
  bool accepts(std::string_view authorization) const;

 private:
  std::optional<security::Sha256> digest_;
};

}  // namespace funnel::server
