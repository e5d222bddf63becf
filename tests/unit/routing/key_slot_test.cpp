// Redis Cluster's key slots. Every expected slot below was read from redis-server 7.0.15
// (`--cluster-enabled yes`, `CLUSTER KEYSLOT <key>`), not computed by this code.
#include "routing/key_slot.hpp"

#include <gtest/gtest.h>

#include <string>

namespace funnel::routing {
namespace {

struct SlotCase {
  const char* name;
  std::string key;
  std::uint16_t slot;
};

class KeySlot : public ::testing::TestWithParam<SlotCase> {};

TEST_P(KeySlot, MatchesRedis) {
  EXPECT_EQ(key_slot(GetParam().key), GetParam().slot) << GetParam().key;
}

INSTANTIATE_TEST_SUITE_P(
    FromRedis, KeySlot,
    ::testing::Values(SlotCase{"plain_foo", "foo", 12182}, SlotCase{"plain_bar", "bar", 5061},
                      SlotCase{"digits", "123456789", 12739},
                      SlotCase{"tag_following", "{user1000}.following", 3443},
                      SlotCase{"tag_followers", "{user1000}.followers", 3443},
                      SlotCase{"empty_tag_hashes_whole_key", "foo{}{bar}", 8363},
                      SlotCase{"tag_starts_at_first_brace", "foo{{bar}}zap", 4015},
                      SlotCase{"first_tag_wins", "foo{bar}{zap}", 5061},
                      SlotCase{"empty_key", "", 0}, SlotCase{"only_empty_tag", "{}", 15257},
                      SlotCase{"unclosed_brace", "{a", 10276}, SlotCase{"close_only", "a}", 5921},
                      SlotCase{"whole_tag", "{a}", 15495},
                      SlotCase{"utf8_bytes", "\xc3\xa9", 10180}),
    [](const ::testing::TestParamInfo<SlotCase>& info) { return std::string(info.param.name); });

TEST(Crc16, IsXmodem) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);  // the check value of CRC-16/XMODEM
  EXPECT_EQ(crc16(""), 0);
}

struct TagCase {
  std::string key;
  std::string tag;
};

TEST(HashTag, IsTheFirstNonEmptyBracedPart) {
  const TagCase cases[] = {
      {"foo", "foo"},      {"{user}.a", "user"}, {"a{b}c", "b"}, {"foo{}{bar}", "foo{}{bar}"},
      {"{{bar}}", "{bar"}, {"{a", "{a"},         {"a}{b}", "b"}, {"", ""},
  };
  for (const TagCase& c : cases) EXPECT_EQ(hash_tag(c.key), c.tag) << c.key;
}

}  // namespace
}  // namespace funnel::routing
