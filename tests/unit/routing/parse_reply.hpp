// The routing tests' replies are RESP bytes as redis-server sends them; this parses one whole.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "resp/value.hpp"

namespace funnel::routing {

inline resp::Value parse(std::string_view bytes) {
  resp::Value value;
  std::size_t consumed = 0;
  EXPECT_EQ(resp::parse_value(bytes, value, consumed), resp::ValueStatus::kComplete);
  EXPECT_EQ(consumed, bytes.size());
  return value;
}

}  // namespace funnel::routing
