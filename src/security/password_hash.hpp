// Password hashing and comparison for client authentication: SHA-256 as Redis ACL's "#<hex>"
// form, through OpenSSL's EVP interface. No I/O; thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace funnel::security {

using Sha256 = std::array<unsigned char, 32>;

Sha256 sha256(std::string_view data);
// Lower-case hex, 64 characters: the form `ACL GETUSER` shows and [[users]] password_sha256 takes.
std::string to_hex(const Sha256& digest);
// Parses 64 hex digits (either case); nullopt for anything else.
std::optional<Sha256> parse_sha256_hex(std::string_view hex);
// Constant-time equality of two digests (CRYPTO_memcmp): how long it takes says nothing about
// where they differ.
bool digest_equal(const Sha256& a, const Sha256& b);

}  // namespace funnel::security
