// The reload table (config/reload_keys.hpp): every key of the key table is classified live or
// restart-only, so a key added later cannot be forgotten; copy_live_keys takes exactly the live
// keys' values from the re-read configuration.
#include "config/reload_keys.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/key_table.hpp"

namespace funnel::config {
namespace {

TEST(ReloadKeys, EveryKeyOfTheKeyTableIsClassified) {
  for (const KeySpec& spec : all_keys()) {
    EXPECT_NE(find_reload_rule(spec.key()), nullptr)
        << spec.key() << " is not in config/reload_keys.cpp: say whether a reload applies it live";
  }
  EXPECT_NE(find_reload_rule("auth.users"), nullptr);
  EXPECT_NE(find_reload_rule("topology.nodes"), nullptr);
}

TEST(ReloadKeys, EveryRuleNamesAKey) {
  for (const ReloadRule& rule : reload_rules()) {
    if (rule.key == "auth.users" || rule.key == "topology.nodes") continue;  // arrays of tables
    const std::size_t dot = rule.key.find('.');
    EXPECT_NE(find_key(rule.key.substr(0, dot), rule.key.substr(dot + 1)), nullptr) << rule.key;
  }
}

// What cannot change in a running process stays restart-only, whatever else becomes live.
TEST(ReloadKeys, ListenersAndWorkersNeedARestart) {
  for (const char* key : {"server.listen", "server.workers", "tls.listen", "admin.listen",
                          "server.takeover_socket"}) {
    EXPECT_FALSE(reloads_live(key)) << key;
  }
  EXPECT_EQ(reload_word(ReloadWhen::kLive), "live");
  EXPECT_EQ(reload_word(ReloadWhen::kRestart), "restart");
}

struct CopyRow {
  std::string next;  // TOML of the re-read file (the running one is all defaults)
  std::string key;   // a key the file changes
};

TEST(ReloadKeys, CopyLiveKeysTakesTheLiveValuesOnly) {
  const std::vector<CopyRow> rows = {
      {"[server]\nmax_clients = 20\n", "server.max_clients"},
      {"[server]\nworkers = 3\n", "server.workers"},
      {"[server]\nlisten = \"127.0.0.1:7000\"\n", "server.listen"},
      {"[limits]\nmax_request_bytes = \"1mb\"\n", "limits.max_request_bytes"},
      {"[auth]\ndeny_commands = \"flushall\"\n", "auth.deny_commands"},
      {"[topology]\nread_policy = \"any\"\n", "topology.read_policy"},
      {"[backend]\nrequest_timeout_ms = 100\n", "backend.request_timeout_ms"},
      {"[log]\nlevel = \"warn\"\n", "log.level"},
  };
  for (const CopyRow& row : rows) {
    Config next = load_toml(row.next, "next.toml");
    Config running = load_toml("", "running.toml");
    const Config defaults = running;
    copy_live_keys(next, running);
    const std::size_t dot = row.key.find('.');
    const KeySpec& spec = *find_key(row.key.substr(0, dot), row.key.substr(dot + 1));
    Config expected = reloads_live(row.key) ? next : defaults;
    EXPECT_EQ(current_value(spec, running), current_value(spec, expected)) << row.key;
  }
}

TEST(ReloadKeys, CopyLiveKeysTakesUsersAndSecrets) {
  Config next = load_toml(
      "[[users]]\nname = \"app\"\npassword_sha256 = \"" + std::string(64, 'a') + "\"\n", "n");
  next.auth.requirepass = "new-secret";
  next.backend.password = "backend-secret";
  Config running = load_toml("", "running.toml");
  copy_live_keys(next, running);
  ASSERT_EQ(running.auth.users.size(), 1u);
  EXPECT_EQ(running.auth.users[0].name, "app");
  EXPECT_EQ(running.auth.requirepass, "new-secret");
  EXPECT_EQ(running.backend.password, "backend-secret");
}

}  // namespace
}  // namespace funnel::config
