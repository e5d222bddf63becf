// Sentinel replies and events, from bytes as redis-sentinel 7.0.15 sends them (RESP2 and RESP3).
#include "topology/sentinel_replies.hpp"

#include <gtest/gtest.h>

namespace funnel::topology {
namespace {

resp::Value parse(std::string_view bytes) {
  resp::Value value;
  std::size_t consumed = 0;
  EXPECT_EQ(resp::parse_value(bytes, value, consumed), resp::ValueStatus::kComplete) << bytes;
  return value;
}

// One replica entry, shortened to the fields that matter plus one that does not.
std::string replica_map(const char* ip, const char* port, const char* flags) {
  auto bulk = [](std::string_view s) {
    return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
  };
  return "%4\r\n" + bulk("ip") + bulk(ip) + bulk("port") + bulk(port) + bulk("flags") +
         bulk(flags) + bulk("runid") + bulk("2812fc480bc207df730603b23efa6eaa93c5e199");
}

TEST(SentinelReplies, MasterAddress) {
  std::string error;
  auto address = parse_master_address(parse("*2\r\n$9\r\n127.0.0.1\r\n$5\r\n27101\r\n"), error);
  ASSERT_TRUE(address) << error;
  EXPECT_EQ(*address, (config::HostPort{"127.0.0.1", 27101}));
}

TEST(SentinelReplies, UnknownMasterIsNullInBothProtocols) {
  for (const char* bytes : {"_\r\n", "*-1\r\n"}) {
    std::string error;
    EXPECT_FALSE(parse_master_address(parse(bytes), error));
    EXPECT_EQ(error, "sentinel does not know this master name");
  }
}

TEST(SentinelReplies, ErrorsAndOddShapesAreNotAddresses) {
  std::string error;
  EXPECT_FALSE(parse_master_address(parse("-NOAUTH Authentication required.\r\n"), error));
  EXPECT_EQ(error, "NOAUTH Authentication required.");
  EXPECT_FALSE(parse_master_address(parse("*2\r\n$9\r\n127.0.0.1\r\n$1\r\n0\r\n"), error));
  EXPECT_FALSE(parse_master_address(parse("*1\r\n$9\r\n127.0.0.1\r\n"), error));
}

TEST(SentinelReplies, ReplicasSkipDownOnesAndSetDisconnectedOnesApart) {
  const std::string bytes = "*5\r\n" + replica_map("127.0.0.1", "7001", "slave") +
                            replica_map("127.0.0.1", "7002", "s_down,slave,disconnected") +
                            replica_map("127.0.0.1", "7003", "o_down,slave") +
                            replica_map("10.0.0.4", "7004", "slave,promoted") +
                            replica_map("10.0.0.5", "7005", "slave,disconnected");
  std::string error;
  auto replicas = parse_sentinel_replicas(parse(bytes), error);
  ASSERT_TRUE(replicas) << error;
  EXPECT_EQ(replicas->usable,
            (std::vector<config::HostPort>{{"127.0.0.1", 7001}, {"10.0.0.4", 7004}}));
  EXPECT_EQ(replicas->disconnected, (std::vector<config::HostPort>{{"10.0.0.5", 7005}}));
}

TEST(SentinelReplies, ReplicasAsResp2FlatArrays) {
  const std::string bytes =
      "*1\r\n*6\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n7001\r\n$5\r\nflags\r\n"
      "$5\r\nslave\r\n";
  std::string error;
  auto replicas = parse_sentinel_replicas(parse(bytes), error);
  ASSERT_TRUE(replicas);
  EXPECT_EQ(replicas->usable, (std::vector<config::HostPort>{{"127.0.0.1", 7001}}));
  EXPECT_FALSE(parse_sentinel_replicas(parse("-ERR No such master with that name\r\n"), error));
  EXPECT_EQ(error, "ERR No such master with that name");
}

TEST(SentinelEvents, SwitchMasterNamesTheNewPrimary) {
  auto event = parse_sentinel_event("+switch-master", "mymaster 127.0.0.1 27101 127.0.0.1 27102",
                                    "mymaster");
  EXPECT_TRUE(event.about_master);
  ASSERT_TRUE(event.new_primary);
  EXPECT_EQ(*event.new_primary, (config::HostPort{"127.0.0.1", 27102}));
  EXPECT_FALSE(
      parse_sentinel_event("+switch-master", "other 1.1.1.1 1 2.2.2.2 2", "mymaster").about_master);
}

TEST(SentinelEvents, InstanceEventsMatchTheirMaster) {
  EXPECT_TRUE(parse_sentinel_event("+sdown",
                                   "slave 127.0.0.1:7002 127.0.0.1 7002 @ mymaster 127.0.0.1 7001",
                                   "mymaster")
                  .about_master);
  EXPECT_TRUE(
      parse_sentinel_event("+odown", "master mymaster 127.0.0.1 7001 #quorum 1/1", "mymaster")
          .about_master);
  EXPECT_FALSE(parse_sentinel_event("-sdown",
                                    "slave 127.0.0.1:7002 127.0.0.1 7002 @ other 127.0.0.1 7001",
                                    "mymaster")
                   .about_master);
  EXPECT_FALSE(parse_sentinel_event("+sdown", "garbage", "mymaster").about_master);
}

// Payloads as redis-sentinel 7.0.15 published them (tests/unit/routing/failover_hold_test.cpp has
// the whole sequences): the signal, and the master's address it concerns.
TEST(SentinelEvents, FailoverStepsCarryTheirSignalAndMaster) {
  using routing::FailoverSignal;
  struct Row {
    const char* channel;
    const char* payload;
    FailoverSignal signal;
    std::uint16_t master_port;
  };
  const Row rows[] = {
      {"+try-failover", "master mm 127.0.0.1 27101", FailoverSignal::kStarted, 27101},
      {"+selected-slave", "slave 127.0.0.1:27102 127.0.0.1 27102 @ mm 127.0.0.1 27101",
       FailoverSignal::kStarted, 27101},
      {"+promoted-slave", "slave 127.0.0.1:27102 127.0.0.1 27102 @ mm 127.0.0.1 27101",
       FailoverSignal::kPromoted, 27101},
      {"+switch-master", "mm 127.0.0.1 27101 127.0.0.1 27102", FailoverSignal::kPromoted, 27101},
      {"+odown", "master mm 127.0.0.1 27102 #quorum 1/1", FailoverSignal::kDown, 27102},
      {"+sdown", "master mm 127.0.0.1 27102", FailoverSignal::kSuspected, 27102},
      // A replica's +sdown is no news about the master.
      {"+sdown", "slave 127.0.0.1:27102 127.0.0.1 27102 @ mm 127.0.0.1 27101",
       FailoverSignal::kNone, 27101},
      {"-failover-abort-no-good-slave", "master mm 127.0.0.1 27101", FailoverSignal::kAborted,
       27101},
      {"+slave", "slave 127.0.0.1:27101 127.0.0.1 27101 @ mm 127.0.0.1 27102",
       FailoverSignal::kNone, 27102},
  };
  for (const Row& row : rows) {
    const SentinelEvent event = parse_sentinel_event(row.channel, row.payload, "mm");
    EXPECT_TRUE(event.about_master) << row.channel;
    EXPECT_EQ(event.signal, row.signal) << row.channel << " " << row.payload;
    ASSERT_TRUE(event.master) << row.channel;
    EXPECT_EQ(event.master->port, row.master_port) << row.channel;
  }
  EXPECT_EQ(parse_sentinel_event("+try-failover", "master other 127.0.0.1 1", "mm").signal,
            FailoverSignal::kNone);
}

}  // namespace
}  // namespace funnel::topology
