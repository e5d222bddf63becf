// Settings shared by every backend link of the process (from config::BackendConfig).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.hpp"

namespace funnel::backend {

struct LinkSettings {
  std::string user;                             // empty: AUTH default user
  std::shared_ptr<const std::string> password;  // null: no AUTH
  common::Millis connect_timeout_ms = 2000;
  common::Millis request_timeout_ms = 5000;
  common::Millis stall_timeout_ms = 10000;
  common::Millis backoff_min_ms = 50;
  common::Millis backoff_max_ms = 5000;
};

}  // namespace funnel::backend
