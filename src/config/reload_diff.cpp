// diff_for_reload (see reload_diff.hpp): every key of the key table compared as TOML text.
#include "config/reload_diff.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "config/key_table.hpp"

namespace funnel::config {
namespace {

constexpr std::array<std::string_view, 1> kLiveKeys = {"log.level"};

bool same_users(const std::vector<UserConfig>& a, const std::vector<UserConfig>& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(), [](const UserConfig& x, const UserConfig& y) {
        return x.name == y.name && x.password_sha256 == y.password_sha256 &&
               x.password_file == y.password_file && x.password_env == y.password_env &&
               x.rules == y.rules && x.password == y.password;
      });
}

}  // namespace

ReloadDiff diff_for_reload(const Config& running, const Config& next) {
  ReloadDiff diff;
  // current_value() takes a mutable Config (the key table's accessors return references).
  Config before = running;
  Config after = next;
  for (const KeySpec& spec : all_keys()) {
    if (current_value(spec, before) == current_value(spec, after)) continue;
    const std::string key = spec.key();
    const bool live = std::find(kLiveKeys.begin(), kLiveKeys.end(), key) != kLiveKeys.end();
    (live ? diff.live : diff.restart).push_back(key);
  }
  if (!same_users(running.auth.users, next.auth.users)) diff.restart.push_back("auth.users");
  return diff;
}

}  // namespace funnel::config
