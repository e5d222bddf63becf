// The [shield] settings (issue #18): --coalesce is a switch, the coalescible command list refuses
// writes and replies that are not a function of the data, hot keys default on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::HasSubstr;
using ShieldConfigTest = ConfigTest;

TEST_F(ShieldConfigTest, CoalesceIsOffByDefaultAndASwitchOnTheCommandLine) {
  EXPECT_EQ(invoke({"--backend", "127.0.0.1:6379"}).config.shield.coalesce, 0u);
  EXPECT_EQ(invoke({"--backend", "127.0.0.1:6379", "--coalesce"}).config.shield.coalesce, 1u);
  EXPECT_EQ(invoke({"--backend", "127.0.0.1:6379", "--coalesce", "0"}).config.shield.coalesce, 0u);
}

TEST_F(ShieldConfigTest, CommandListRefusesWhatCannotBeCoalesced) {
  Config config = runnable_config();
  config.shield.coalesce_commands = "get, hget mget";
  finalize(config);
  config = runnable_config();
  config.shield.coalesce_commands = "get set srandmember";
  const std::string error = error_of([&] { finalize(config); });
  EXPECT_THAT(error, HasSubstr("shield.coalesce_commands"));
  EXPECT_THAT(error, HasSubstr("set, srandmember cannot be coalesced"));
}

TEST_F(ShieldConfigTest, HotKeysSampleByDefault) {
  const Config config = load_toml("[shield]\nhotkeys_window_s = 30\n", "test.toml");
  EXPECT_EQ(config.shield.hotkeys_sample_every, 64u);
  EXPECT_EQ(config.shield.hotkeys_window_s, 30u);
  EXPECT_THAT(toml_error("[shield]\nhotkeys_window_s = 0\n"), HasSubstr("hotkeys_window_s"));
}

}  // namespace
}  // namespace funnel::config
