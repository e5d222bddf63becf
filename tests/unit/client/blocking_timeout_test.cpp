// Where each blocking command keeps its timeout (no I/O): Funnel's deadline for it is the
// command's own timeout plus a margin, and none for a timeout of 0.
#include "client/blocking_timeout.hpp"

#include <gtest/gtest.h>

#include "../command/request_helpers.hpp"

namespace funnel::client {
namespace {

using command::test::ParsedRequest;

std::optional<common::Millis> timeout(std::string_view name, std::vector<std::string> args) {
  ParsedRequest request(args);
  return blocking_timeout_ms(name, request.get());
}

TEST(BlockingTimeout, ReadsSecondsFromTheLastArgument) {
  EXPECT_EQ(timeout("blpop", {"BLPOP", "a", "b", "2"}), 2000);
  EXPECT_EQ(timeout("brpop", {"BRPOP", "a", "0.25"}), 250);
  EXPECT_EQ(timeout("bzpopmax", {"BZPOPMAX", "z", "0"}), 0);
  EXPECT_EQ(timeout("blmove", {"BLMOVE", "a", "b", "LEFT", "RIGHT", "1.5"}), 1500);
  EXPECT_EQ(timeout("brpoplpush", {"BRPOPLPUSH", "a", "b", "3"}), 3000);
}

TEST(BlockingTimeout, ReadsSecondsFirstForTheMpopForms) {
  EXPECT_EQ(timeout("blmpop", {"BLMPOP", "4", "1", "k", "LEFT"}), 4000);
  EXPECT_EQ(timeout("bzmpop", {"BZMPOP", "0", "1", "k", "MIN"}), 0);
}

TEST(BlockingTimeout, ReadsMillisecondsAfterBlockForStreams) {
  EXPECT_EQ(timeout("xread", {"XREAD", "COUNT", "1", "BLOCK", "750", "STREAMS", "s", "$"}), 750);
  EXPECT_EQ(
      timeout("xreadgroup", {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}),
      0);
  EXPECT_EQ(timeout("xread", {"XREAD", "STREAMS", "s", "$"}), std::nullopt);
}

TEST(BlockingTimeout, UnparsableOrNegativeTimeoutsAreUnknown) {
  EXPECT_EQ(timeout("blpop", {"BLPOP", "a", "soon"}), std::nullopt);
  EXPECT_EQ(timeout("blpop", {"BLPOP", "a", "-1"}), std::nullopt);
  EXPECT_EQ(timeout("xread", {"XREAD", "BLOCK", "-5", "STREAMS", "s", "$"}), std::nullopt);
  EXPECT_EQ(timeout("get", {"GET", "a"}), std::nullopt);
}

}  // namespace
}  // namespace funnel::client
