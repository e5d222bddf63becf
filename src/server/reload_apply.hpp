// What a configuration reload hands each worker (issue #17, item 1): one immutable snapshot of
// the live settings, shared by every worker and posted to each one's loop, so the request path
// reads plain fields of its own worker and takes no lock.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "routing/read_policy.hpp"
#include "security/user_directory.hpp"

namespace funnel::server {

struct LiveSettings {
  config::Config config;  // the running configuration with the reload's live keys applied
  std::shared_ptr<const security::UserDirectory> users;  // changed users: non-null
  routing::ReadPolicy read_policy = routing::ReadPolicy::kPrimary;
};
using LiveSettingsPtr = std::shared_ptr<const LiveSettings>;

}  // namespace funnel::server
