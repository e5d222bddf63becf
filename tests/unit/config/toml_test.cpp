// load_toml: every key, size units, and the messages for unknown keys, wrong types, out-of-range
// values, literal secrets and syntax errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/key_table.hpp"
#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(TomlTest, EmptyDocumentGivesTheDefaults) {
  Config loaded = load_toml("", "test.toml");
  Config defaults;
  for (const KeySpec& spec : all_keys()) {
    EXPECT_EQ(current_value(spec, loaded), current_value(spec, defaults)) << spec.key();
  }
  EXPECT_EQ(defaults.server.listen, (HostPort{"127.0.0.1", 6380}));
  EXPECT_EQ(defaults.server.max_clients, 10000u);
  EXPECT_EQ(defaults.limits.max_request_bytes, 64ull << 20);
  EXPECT_FALSE(loaded.backend.address.has_value());
  EXPECT_FALSE(loaded.admin.listen.has_value());
  EXPECT_EQ(loaded.log.level, "info");
}

TEST(TomlTest, ParsesEveryKey) {
  Config c = load_toml(R"(
    [server]
    listen = "0.0.0.0:7000"
    workers = 3
    max_clients = 500
    idle_client_timeout_s = 0
    tcp_keepalive_s = 30
    drain_timeout_ms = 100
    [backend]
    address = "[::1]:6390"
    connections_per_node = 2
    user = "funnel"
    password_file = "/run/secrets/backend"
    connect_timeout_ms = 10
    request_timeout_ms = 20
    link_stall_timeout_ms = 30
    reconnect_backoff_min_ms = 40
    reconnect_backoff_max_ms = 50
    resolve_interval_s = 60
    [auth]
    requirepass_file = "/run/secrets/clients"
    [limits]
    max_request_bytes = "1mb"
    buffer_budget_bytes = "3gb"
    client_output_soft_bytes = 4096
    client_output_hard_bytes = "8kb"
    max_pipeline_per_client = 7
    [admin]
    listen = "127.0.0.1:9121"
    [log]
    level = "debug"
  )",
                       "test.toml");
  EXPECT_EQ(c.server.listen, (HostPort{"0.0.0.0", 7000}));
  EXPECT_EQ(c.server.workers, 3u);
  EXPECT_EQ(c.server.max_clients, 500u);
  EXPECT_EQ(c.server.idle_client_timeout_s, 0u);
  EXPECT_EQ(c.server.tcp_keepalive_s, 30u);
  EXPECT_EQ(c.server.drain_timeout_ms, 100u);
  EXPECT_EQ(c.backend.address, (HostPort{"::1", 6390}));
  EXPECT_EQ(c.backend.connections_per_node, 2u);
  EXPECT_EQ(c.backend.user, "funnel");
  EXPECT_EQ(c.backend.password_file, "/run/secrets/backend");
  EXPECT_FALSE(c.backend.password.has_value());  // read by finalize(), not by the loader
  EXPECT_EQ(c.backend.connect_timeout_ms, 10u);
  EXPECT_EQ(c.backend.request_timeout_ms, 20u);
  EXPECT_EQ(c.backend.link_stall_timeout_ms, 30u);
  EXPECT_EQ(c.backend.reconnect_backoff_min_ms, 40u);
  EXPECT_EQ(c.backend.reconnect_backoff_max_ms, 50u);
  EXPECT_EQ(c.backend.resolve_interval_s, 60u);
  EXPECT_EQ(c.auth.requirepass_file, "/run/secrets/clients");
  EXPECT_EQ(c.limits.max_request_bytes, 1ull << 20);
  EXPECT_EQ(c.limits.buffer_budget_bytes, 3ull << 30);
  EXPECT_EQ(c.limits.client_output_soft_bytes, 4096u);
  EXPECT_EQ(c.limits.client_output_hard_bytes, 8192u);
  EXPECT_EQ(c.limits.max_pipeline_per_client, 7u);
  EXPECT_EQ(c.admin.listen, (HostPort{"127.0.0.1", 9121}));
  EXPECT_EQ(c.log.level, "debug");
}

TEST(TomlTest, AcceptsDottedAndInlineTables) {
  Config c = load_toml("server.workers = 5\nbackend = { address = \"r:1\" }\n", "test.toml");
  EXPECT_EQ(c.server.workers, 5u);
  EXPECT_EQ(c.backend.address, (HostPort{"r", 1}));
}

TEST(TomlTest, EmptyAdminListenMeansOff) {
  EXPECT_FALSE(load_toml("[admin]\nlisten = \"\"\n", "t").admin.listen.has_value());
}

TEST(TomlTest, LogLevelIsCaseInsensitive) {
  EXPECT_EQ(load_toml("log.level = \"WARN\"", "t").log.level, "warn");
}

struct SizeCase {
  const char* value;  // as written after "max_request_bytes = "
  std::uint64_t bytes;
};

void PrintTo(const SizeCase& size, std::ostream* out) {
  *out << size.value;
}

class SizeUnitTest : public ::testing::TestWithParam<SizeCase> {};

TEST_P(SizeUnitTest, Parses1024BasedUnits) {
  Config c = load_toml(std::string("limits.max_request_bytes = ") + GetParam().value, "t");
  EXPECT_EQ(c.limits.max_request_bytes, GetParam().bytes) << GetParam().value;
}

INSTANTIATE_TEST_SUITE_P(
    Units, SizeUnitTest,
    ::testing::Values(SizeCase{"\"64mb\"", 64ull << 20}, SizeCase{"\"1gb\"", 1ull << 30},
                      SizeCase{"\"512kb\"", 512ull << 10}, SizeCase{"\"1GB\"", 1ull << 30},
                      SizeCase{"\"2 MiB\"", 2ull << 20}, SizeCase{"\"4096\"", 4096},
                      SizeCase{"\"2048b\"", 2048}, SizeCase{"4096", 4096},
                      SizeCase{"1_048_576", 1ull << 20}, SizeCase{"\"4gb\"", 4ull << 30}));

TEST(TomlTest, BudgetAcceptsTerabytes) {
  EXPECT_EQ(load_toml("limits.buffer_budget_bytes = \"1tb\"", "t").limits.buffer_budget_bytes,
            1ull << 40);
}

TEST(TomlTest, RefusesBadSizes) {
  auto error = [](const std::string& value) {
    return toml_error("limits.max_request_bytes = " + value);
  };
  EXPECT_THAT(error("\"64k\""), HasSubstr("ambiguous"));
  EXPECT_THAT(error("\"1.5gb\""), HasSubstr("1536mb"));
  EXPECT_THAT(error("\"64xb\""), HasSubstr("unknown unit \"xb\""));
  EXPECT_THAT(error("\"mb\""), HasSubstr("expected a size"));
  EXPECT_THAT(error("\"5gb\""), HasSubstr("must be between 1kb and 4gb"));
  EXPECT_THAT(error("\"99999999999999999999tb\""), HasSubstr("must be between 1kb and 4gb"));
  EXPECT_THAT(error("-1"), HasSubstr("limits.max_request_bytes = -1: must be between"));
  EXPECT_THAT(error("1.5"), AllOf(HasSubstr("expected a size"), HasSubstr("got a float")));
}

TEST(TomlTest, UnknownKeyNamesItSuggestsAndListsTheValidKeys) {
  std::string error = toml_error("[server]\nlistn = \"127.0.0.1:1\"\n");
  EXPECT_THAT(error, StartsWith("test.toml: unknown key server.listn"));
  EXPECT_THAT(error, HasSubstr("did you mean server.listen?"));
  EXPECT_THAT(error, HasSubstr("valid keys in [server]: listen, workers, max_clients"));
  EXPECT_THAT(toml_error("[backend]\nnonsense = 1\n"),
              AllOf(HasSubstr("unknown key backend.nonsense;"), Not(HasSubstr("did you mean"))));
  EXPECT_THAT(toml_error("[server.tls]\ncert = \"x\"\n"), HasSubstr("unknown key server.tls"));
}

TEST(TomlTest, UnknownTableNamesItAndListsTheValidTables) {
  std::string error = toml_error("[serve]\nworkers = 1\n");
  EXPECT_THAT(error, StartsWith("test.toml: unknown table [serve] (did you mean [server]?)"));
  EXPECT_THAT(
      error,
      HasSubstr("valid tables: server, backend, auth, limits, admin, tls, topology, cluster, log"));
}

TEST(TomlTest, TopLevelKeySaysWhichTableItBelongsIn) {
  EXPECT_THAT(toml_error("workers = 4\n"), HasSubstr("write it under [server]"));
  EXPECT_THAT(toml_error("foo = 4\n"), HasSubstr("unknown key foo at the top level"));
}

TEST(TomlTest, WrongTypeNamesKeyExpectedTypeAndValue) {
  EXPECT_EQ(toml_error("server.workers = \"four\""),
            "test.toml: server.workers = \"four\": expected an integer between 0 and 256 "
            "(threads; 0 = one per usable CPU), got a string (write the number without quotes)");
  EXPECT_THAT(toml_error("server.listen = 6380"),
              AllOf(HasSubstr("server.listen = 6380: expected a string \"host:port\""),
                    HasSubstr("got an integer")));
  EXPECT_THAT(toml_error("log.level = true"),
              AllOf(HasSubstr("log.level = true: expected a string"), HasSubstr("got a boolean")));
  EXPECT_THAT(
      toml_error("server.workers = 1.5"),
      AllOf(HasSubstr("server.workers = 1.5: expected an integer"), HasSubstr("got a float")));
  EXPECT_THAT(toml_error("backend.user = [\"a\"]"),
              AllOf(HasSubstr("backend.user = "), HasSubstr("got an array")));
  EXPECT_THAT(toml_error("server = 5"), HasSubstr("server = 5: expected a table [server]"));
}

struct RangeCase {
  const char* doc;
  const char* message;  // after "test.toml: "
};

void PrintTo(const RangeCase& range, std::ostream* out) {
  *out << range.doc;
}

class RangeTest : public ::testing::TestWithParam<RangeCase> {};

TEST_P(RangeTest, NamesKeyValueAndAllowedRange) {
  EXPECT_EQ(toml_error(GetParam().doc), std::string("test.toml: ") + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Limits, RangeTest,
    ::testing::Values(
        RangeCase{"backend.request_timeout_ms = 0",
                  "backend.request_timeout_ms = 0: must be between 1 and 3600000 (milliseconds)"},
        RangeCase{"backend.connect_timeout_ms = 3600001",
                  "backend.connect_timeout_ms = 3600001: must be between 1 and 3600000 "
                  "(milliseconds)"},
        RangeCase{"server.workers = 257",
                  "server.workers = 257: must be between 0 and 256 (threads; 0 = one per usable "
                  "CPU)"},
        RangeCase{"server.max_clients = 0",
                  "server.max_clients = 0: must be between 1 and 1000000 (client connections)"},
        RangeCase{"server.max_clients = 1000001",
                  "server.max_clients = 1000001: must be between 1 and 1000000 (client "
                  "connections)"},
        RangeCase{"backend.connections_per_node = 1025",
                  "backend.connections_per_node = 1025: must be between 0 and 1024 (links per "
                  "node; 0 = one per worker)"},
        RangeCase{"backend.reconnect_backoff_min_ms = 0",
                  "backend.reconnect_backoff_min_ms = 0: must be between 1 and 3600000 "
                  "(milliseconds)"},
        RangeCase{"backend.resolve_interval_s = 0",
                  "backend.resolve_interval_s = 0: must be between 1 and 86400 (seconds)"},
        RangeCase{"limits.max_pipeline_per_client = 0",
                  "limits.max_pipeline_per_client = 0: must be between 1 and 1000000 (requests "
                  "in flight)"},
        RangeCase{"limits.client_output_hard_bytes = 100",
                  "limits.client_output_hard_bytes = 100: must be between 1kb and 1tb (bytes of "
                  "replies queued for one client)"},
        RangeCase{"server.tcp_keepalive_s = -5",
                  "server.tcp_keepalive_s = -5: must be between 0 and 32767 (seconds; 0 "
                  "disables)"},
        RangeCase{"log.level = \"verbose\"",
                  "log.level = \"verbose\": unknown log level: use one of trace, debug, info, "
                  "warn, error, off"},
        RangeCase{"server.listen = \"127.0.0.1:0\"",
                  "server.listen = \"127.0.0.1:0\": the port must be a number between 1 and "
                  "65535"},
        RangeCase{"admin.listen = \"localhost\"",
                  "admin.listen = \"localhost\": missing port: write HOST:PORT, e.g. "
                  "127.0.0.1:6379 or [::1]:6379"}));

TEST(TomlTest, LiteralSecretsAreRefusedWithoutEchoingThem) {
  std::string backend = toml_error("[backend]\npassword = \"hunter2\"\n");
  EXPECT_THAT(backend, AllOf(HasSubstr("backend.password is not supported"),
                             HasSubstr("backend.password_file"),
                             HasSubstr("FUNNEL_BACKEND_PASSWORD"), Not(HasSubstr("hunter2"))));
  std::string clients = toml_error("auth.requirepass = \"hunter2\"");
  EXPECT_THAT(clients, AllOf(HasSubstr("auth.requirepass is not supported"),
                             HasSubstr("auth.requirepass_file"), HasSubstr("FUNNEL_REQUIREPASS"),
                             Not(HasSubstr("hunter2"))));
  EXPECT_THAT(toml_error("[backend]\npasword = \"hunter2\"\n"), Not(HasSubstr("hunter2")));
}

TEST(TomlTest, SyntaxErrorShowsFileLineAndColumn) {
  std::string error = toml_error("[server]\nworkers = 4\nlisten = \n");
  EXPECT_THAT(error, StartsWith("test.toml:3:"));
  EXPECT_THAT(error, HasSubstr("TOML syntax error"));
  EXPECT_THAT(toml_error("[server]\n[server]\n"), StartsWith("test.toml:2:"));
}

}  // namespace
}  // namespace funnel::config
