// parse_host_port and HostPort::to_string: the forms users write for --listen, --backend, --admin
// and the address keys, and the messages for the forms we refuse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(HostPortTest, ParsesNamesAndIpv4) {
  EXPECT_EQ(parse_host_port("127.0.0.1:6379", "--backend"), (HostPort{"127.0.0.1", 6379}));
  EXPECT_EQ(parse_host_port("redis.internal:1", "--backend"), (HostPort{"redis.internal", 1}));
  EXPECT_EQ(parse_host_port("my_host-1:65535", "--backend"), (HostPort{"my_host-1", 65535}));
}

TEST(HostPortTest, ParsesBracketedIpv6) {
  EXPECT_EQ(parse_host_port("[::1]:6379", "--listen"), (HostPort{"::1", 6379}));
  EXPECT_EQ(parse_host_port("[fe80::1%eth0]:7000", "--listen"), (HostPort{"fe80::1%eth0", 7000}));
}

TEST(HostPortTest, ToStringBracketsIpv6AndRoundTrips) {
  EXPECT_EQ((HostPort{"::1", 6379}).to_string(), "[::1]:6379");
  EXPECT_EQ((HostPort{"10.0.0.5", 6380}).to_string(), "10.0.0.5:6380");
  for (const char* text : {"[::1]:6379", "localhost:6380", "[2001:db8::7]:1"}) {
    EXPECT_EQ(parse_host_port(text, "k").to_string(), text);
  }
}

struct BadAddress {
  const char* text;
  const char* problem;
};

void PrintTo(const BadAddress& bad, std::ostream* out) {
  *out << '"' << bad.text << '"';
}

class HostPortErrorTest : public ::testing::TestWithParam<BadAddress> {};

TEST_P(HostPortErrorTest, NamesTheFlagTheValueAndTheProblem) {
  const BadAddress& bad = GetParam();
  std::string flag_error = error_of([&] { parse_host_port(bad.text, "--backend"); });
  EXPECT_THAT(flag_error, StartsWith(std::string("--backend=") + bad.text + ": "));
  EXPECT_THAT(flag_error, HasSubstr(bad.problem));
  std::string key_error = error_of([&] { parse_host_port(bad.text, "backend.address"); });
  EXPECT_THAT(key_error, StartsWith(std::string("backend.address = \"") + bad.text + "\": "));
}

INSTANTIATE_TEST_SUITE_P(
    Refused, HostPortErrorTest,
    ::testing::Values(
        BadAddress{"", "empty"}, BadAddress{"localhost", "missing port"},
        BadAddress{"localhost:", "missing port"}, BadAddress{":6379", "empty host"},
        BadAddress{"h:0", "between 1 and 65535"}, BadAddress{"h:65536", "between 1 and 65535"},
        BadAddress{"h:99999999999", "between 1 and 65535"},
        BadAddress{"h:-1", "between 1 and 65535"}, BadAddress{"h:abc", "between 1 and 65535"},
        BadAddress{"::1:6379", "needs brackets: write [::1]:6379"},
        BadAddress{"[::1]", "missing port"}, BadAddress{"[::1:6379", "missing ']'"},
        BadAddress{"[::1]6379", "expected ':'"}, BadAddress{"[]:6379", "empty host"},
        BadAddress{"redis://h:6379", "URL"}, BadAddress{"a b:6379", "not allowed in a host name"}));

}  // namespace
}  // namespace funnel::config
