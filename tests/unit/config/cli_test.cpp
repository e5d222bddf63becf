// parse_invocation: flags, their precedence over the file, repeated flags, --check-config, and
// CLI11's help/version/usage errors turned into Action::kExit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Action = Invocation::Action;

using CliTest = ConfigTest;

TEST_F(CliTest, BackendAloneRunsWithDefaults) {
  Invocation run = invoke({"--backend", "127.0.0.1:6379"});
  EXPECT_EQ(run.action, Action::kRun);
  EXPECT_EQ(run.config.backend.address, (HostPort{"127.0.0.1", 6379}));
  EXPECT_EQ(run.config.server.listen, (HostPort{"127.0.0.1", 6380}));
  EXPECT_EQ(run.config.server.max_clients, 10000u);
  EXPECT_GE(run.config.server.workers, 1u);
  EXPECT_EQ(run.config.source_file, "");
}

TEST_F(CliTest, EveryFlagSetsItsKey) {
  TempFile backend_pass("b\n");
  TempFile client_pass("c\n");
  Invocation run = invoke({"--listen",
                           "0.0.0.0:7000",
                           "--backend=[::1]:7001",
                           "--workers",
                           "3",
                           "--connections-per-node",
                           "2",
                           "--max-clients",
                           "50",
                           "--admin",
                           "127.0.0.1:9121",
                           "--requirepass-file",
                           client_pass.path(),
                           "--backend-password-file",
                           backend_pass.path(),
                           "--backend-user",
                           "proxy",
                           "--request-timeout-ms",
                           "700",
                           "--connect-timeout-ms",
                           "300",
                           "--idle-client-timeout-s",
                           "0",
                           "--log-level",
                           "DEBUG"});
  const Config& c = run.config;
  EXPECT_EQ(c.server.listen, (HostPort{"0.0.0.0", 7000}));
  EXPECT_EQ(c.backend.address, (HostPort{"::1", 7001}));
  EXPECT_EQ(c.server.workers, 3u);
  EXPECT_EQ(c.backend.connections_per_node, 2u);
  EXPECT_EQ(c.server.max_clients, 50u);
  EXPECT_EQ(c.admin.listen, (HostPort{"127.0.0.1", 9121}));
  EXPECT_EQ(c.auth.requirepass_file, client_pass.path());
  EXPECT_EQ(c.auth.requirepass, "c");
  EXPECT_EQ(c.backend.password_file, backend_pass.path());
  EXPECT_EQ(c.backend.password, "b");
  EXPECT_EQ(c.backend.user, "proxy");
  EXPECT_EQ(c.backend.request_timeout_ms, 700u);
  EXPECT_EQ(c.backend.connect_timeout_ms, 300u);
  EXPECT_EQ(c.server.idle_client_timeout_s, 0u);
  EXPECT_EQ(c.log.level, "debug");
}

// Hot restart (issue #17, item 4): --takeover is a switch beside the configuration; the socket and
// the spread-close window are keys with flags.
TEST_F(CliTest, TakeoverIsASwitchAndItsSocketAndWindowAreKeys) {
  Invocation plain = invoke({"--backend", "127.0.0.1:6379"});
  EXPECT_FALSE(plain.takeover);
  EXPECT_EQ(plain.config.server.takeover_socket, "/run/funnel/takeover-{port}.sock");
  EXPECT_EQ(plain.config.server.takeover_drain_ms, 30000u);
  Invocation run = invoke({"--backend", "127.0.0.1:6379", "--takeover", "--takeover-socket",
                           "/tmp/t.sock", "--takeover-drain-ms", "500"});
  EXPECT_EQ(run.action, Action::kRun);
  EXPECT_TRUE(run.takeover);
  EXPECT_EQ(run.config.server.takeover_socket, "/tmp/t.sock");
  EXPECT_EQ(run.config.server.takeover_drain_ms, 500u);
}

TEST_F(CliTest, FlagsOverrideTheFileWhichOverridesDefaults) {
  TempFile file(
      "[server]\nworkers = 2\nlisten = \"0.0.0.0:7000\"\n[backend]\naddress = \"file:1\"\n"
      "[admin]\nlisten = \"127.0.0.1:9121\"\n");
  Invocation run = invoke({"--config", file.path(), "--workers", "5", "--admin", ""});
  EXPECT_EQ(run.action, Action::kRun);
  EXPECT_EQ(run.config.server.workers, 5u);                          // flag
  EXPECT_EQ(run.config.server.listen, (HostPort{"0.0.0.0", 7000}));  // file
  EXPECT_EQ(run.config.backend.address, (HostPort{"file", 1}));      // file
  EXPECT_FALSE(run.config.admin.listen.has_value());                 // flag: "" = off
  EXPECT_EQ(run.config.server.max_clients, 10000u);                  // default
  EXPECT_EQ(run.config.source_file, file.path());
  run = invoke({"--config", file.path(), "--backend", "flag:2"});
  EXPECT_EQ(run.config.backend.address, (HostPort{"flag", 2}));
}

TEST_F(CliTest, BackendGivenTwiceIsRefused) {
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "a:1", "--backend", "b:2"});
              }),
              StartsWith("--backend was given twice: --backend names the one primary; give each "
                         "replica with --replica HOST:PORT"));
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "a:1", "--workers", "2", "--workers=3"});
              }),
              StartsWith("--workers was given 2 times (2, 3): give it once"));
}

TEST_F(CliTest, MissingBackendIsAnError) {
  EXPECT_THAT(error_of([] { invoke({}); }), StartsWith("no backend given: pass --backend"));
}

TEST_F(CliTest, FlagValuesAreValidatedAndNamed) {
  EXPECT_EQ(error_of([] {
              invoke({"--backend", "a:1", "--request-timeout-ms", "0"});
            }),
            "--request-timeout-ms=0: must be between 1 and 3600000 (milliseconds)");
  EXPECT_EQ(error_of([] {
              invoke({"--backend", "a:1", "--workers", "many"});
            }),
            "--workers=many: must be a whole number between 0 and 256 (threads; 0 = one per usable "
            "CPU)");
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "a:1", "--max-clients", "-5"});
              }),
              StartsWith("--max-clients=-5: must be a whole number between 1 and 1000000"));
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "a:1", "--listen", "6380"});
              }),
              StartsWith("--listen=6380: missing port"));
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "a:1", "--log-level", "loud"});
              }),
              StartsWith("--log-level=loud: unknown log level"));
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "localhost"});
              }),
              StartsWith("--backend=localhost: missing port"));
}

TEST_F(CliTest, CheckConfigValidatesTheFile) {
  TempFile good("backend.address = \"r:1\"\nserver.workers = 2\n");
  Invocation check = invoke({"--check-config", good.path()});
  EXPECT_EQ(check.action, Action::kCheckConfig);
  EXPECT_EQ(check.config.server.workers, 2u);
  EXPECT_EQ(check.config.source_file, good.path());
  EXPECT_EQ(invoke({"--config", good.path(), "--check-config"}).action, Action::kCheckConfig);
  EXPECT_EQ(invoke({"--check-config", "--backend", "r:1"}).action, Action::kCheckConfig);

  TempFile no_backend("server.workers = 2\n");
  EXPECT_THAT(error_of([&] {
                invoke({"--check-config", no_backend.path()});
              }),
              StartsWith("no backend given"));
  TempFile typo("[server]\nworkerz = 2\n");
  EXPECT_THAT(error_of([&] {
                invoke({"--check-config", typo.path()});
              }),
              AllOf(StartsWith(typo.path() + ": unknown key server.workerz"),
                    HasSubstr("did you mean server.workers?")));
  EXPECT_THAT(error_of([&] {
                invoke({"--config", good.path(), "--check-config", typo.path()});
              }),
              HasSubstr("name different files"));
}

TEST_F(CliTest, UnreadableConfigFileNamesIt) {
  EXPECT_THAT(error_of([] {
                invoke({"--config", "/nonexistent/funnel.toml"});
              }),
              AllOf(StartsWith("--config=/nonexistent/funnel.toml: cannot open the file"),
                    HasSubstr("No such file or directory")));
}

TEST_F(CliTest, HelpAndVersionExitZero) {
  ::testing::internal::CaptureStdout();
  Invocation help = invoke({"--help"});
  std::string text = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(help.action, Action::kExit);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(text, AllOf(HasSubstr("--backend HOST:PORT"), HasSubstr("--check-config"),
                          HasSubstr("FUNNEL_REQUIREPASS")));
  ::testing::internal::CaptureStdout();
  Invocation version = invoke({"--version"});
  EXPECT_THAT(::testing::internal::GetCapturedStdout(), StartsWith("funnel "));
  EXPECT_EQ(version.action, Action::kExit);
  EXPECT_EQ(version.exit_code, 0);
}

TEST_F(CliTest, UsageErrorsExitTwoWithCli11sMessage) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--bogus"},
                                        {"--workers"},
                                        {"stray"},
                                        {"--backend", "a:1", "b:2"}}) {
    ::testing::internal::CaptureStderr();
    Invocation bad = invoke(args);
    std::string text = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(bad.action, Action::kExit) << args.front();
    EXPECT_EQ(bad.exit_code, 2) << args.front();
    EXPECT_FALSE(text.empty()) << args.front();
  }
}

}  // namespace
}  // namespace funnel::config
