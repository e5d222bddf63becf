// Redis glob semantics for ACL key patterns.
#include <gtest/gtest.h>

#include "security/glob.hpp"

namespace funnel::security {
namespace {

TEST(GlobTest, MatchesLikeRedis) {
  EXPECT_TRUE(glob_match("app:*", "app:1"));
  EXPECT_TRUE(glob_match("app:*", "app:"));
  EXPECT_FALSE(glob_match("app:*", "ap"));
  EXPECT_FALSE(glob_match("app:*", "other"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "ac"));
  EXPECT_TRUE(glob_match("h[ae]llo", "hello"));
  EXPECT_FALSE(glob_match("h[ae]llo", "hillo"));
  EXPECT_TRUE(glob_match("h[^e]llo", "hallo"));
  EXPECT_FALSE(glob_match("h[^e]llo", "hello"));
  EXPECT_TRUE(glob_match("h[a-c]llo", "hbllo"));
  EXPECT_TRUE(glob_match("a\\*b", "a*b"));
  EXPECT_FALSE(glob_match("a\\*b", "axb"));
  EXPECT_TRUE(glob_match("*:*:end", "x:y:z:end"));
  EXPECT_FALSE(glob_match("user:*", "USER:1"));  // case-sensitive
}

TEST(GlobTest, ManyStarsStayFast) {
  const std::string text(2000, 'a');
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", text));
}

}  // namespace
}  // namespace funnel::security
