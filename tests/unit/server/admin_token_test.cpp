// The admin token check: the Bearer scheme in any case, surrounding spaces, and everything else
// refused (other schemes, no token, a prefix or extension of the token, another case of it).
#include <gtest/gtest.h>

#include "server/admin_token.hpp"

namespace funnel::server {
namespace {

TEST(AdminTokenTest, BearerSchemeInAnyCase) {
  const AdminToken token(std::string("s3cret-Token"));
  ASSERT_TRUE(token.required());
  struct Case {
    const char* header;
    bool accepted;
  };
  const Case cases[] = {
      {"Bearer s3cret-Token", true},
      {"bearer s3cret-Token", true},
      {"BEARER s3cret-Token", true},
      {"bEaReR s3cret-Token", true},
      {"Bearer   s3cret-Token  ", true},
      {"Bearer\ts3cret-Token", true},
      {"", false},
      {"Bearer", false},
      {"Bearer ", false},
      {"Bearers3cret-Token", false},
      {"Basic s3cret-Token", false},
      {"s3cret-Token", false},
      {"Bearer s3cret-token", false},  // the token itself is case-sensitive
      {"Bearer s3cret-Toke", false},
      {"Bearer s3cret-Token2", false},
      {"Bearer s3cret Token", false},
      {"Bearer s3cret-Token, Bearer x", false},
  };
  for (const Case& c : cases) EXPECT_EQ(token.accepts(c.header), c.accepted) << c.header;
}

TEST(AdminTokenTest, WithoutATokenEverythingIsAccepted) {
  const AdminToken none(std::nullopt);
  EXPECT_FALSE(none.required());
  EXPECT_TRUE(none.accepts(""));
  EXPECT_TRUE(none.accepts("Bearer anything"));
}

}  // namespace
}  // namespace funnel::server
