// SHA-256 hex as Redis ACL shows it, and parsing it back.
#include <gtest/gtest.h>

#include "security/password_hash.hpp"

namespace funnel::security {
namespace {

TEST(PasswordHashTest, MatchesRedisAclHashes) {
  // redis-server 7.0: ACL SETUSER alice >pw; ACL LIST shows this hash.
  EXPECT_EQ(to_hex(sha256("pw")),
            "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4");
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(PasswordHashTest, ParsesHexInEitherCase) {
  const auto digest =
      parse_sha256_hex("30C952FAB122C3F9759F02A6D95C3758B246B4FEE239957B2D4FEE46E26170C4");
  ASSERT_TRUE(digest);
  EXPECT_TRUE(digest_equal(*digest, sha256("pw")));
  EXPECT_FALSE(digest_equal(*digest, sha256("pW")));
  EXPECT_FALSE(parse_sha256_hex("30c9"));
  EXPECT_FALSE(parse_sha256_hex(std::string(63, 'a') + "g"));
}

}  // namespace
}  // namespace funnel::security
