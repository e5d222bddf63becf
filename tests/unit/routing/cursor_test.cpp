// cursor_use(): which requests start and which continue a SCAN-family cursor.
#include "routing/cursor.hpp"

#include <gtest/gtest.h>

namespace funnel::routing {
namespace {

CursorUse use_of(std::string_view bytes) {
  resp::RequestParser parser;
  EXPECT_EQ(parser.parse(bytes), resp::ParseStatus::kComplete);
  return cursor_use(parser.request());
}

TEST(Cursor, ScanStartsAtZeroAndContinuesOtherwise) {
  EXPECT_EQ(use_of("SCAN 0 COUNT 10\r\n"), CursorUse::kStart);
  EXPECT_EQ(use_of("scan 17\r\n"), CursorUse::kContinue);
  EXPECT_EQ(use_of("HSCAN h 0\r\n"), CursorUse::kStart);
  EXPECT_EQ(use_of("sscan s 5 MATCH x*\r\n"), CursorUse::kContinue);
  EXPECT_EQ(use_of("ZSCAN z 9\r\n"), CursorUse::kContinue);
}

TEST(Cursor, OtherCommandsAndShortFormsUseNoCursor) {
  EXPECT_EQ(use_of("GET k\r\n"), CursorUse::kNone);
  EXPECT_EQ(use_of("SCAN\r\n"), CursorUse::kNone);
  EXPECT_EQ(use_of("HSCAN h\r\n"), CursorUse::kNone);
}

}  // namespace
}  // namespace funnel::routing
