// ROLE replies as redis-server 7.0 sends them (captured from a primary/replica pair on loopback).
#include "routing/role_report.hpp"

#include <gtest/gtest.h>

#include "parse_reply.hpp"

namespace funnel::routing {
namespace {

TEST(RoleReport, PrimaryWithReplicas) {
  std::string error;
  const auto role = parse_role(
      parse("*3\r\n$6\r\nmaster\r\n:50\r\n*2\r\n*3\r\n$9\r\n127.0.0.1\r\n$4\r\n7402\r\n$2\r\n50\r\n"
            "*3\r\n$9\r\n127.0.0.1\r\n$4\r\n7403\r\n$2\r\n42\r\n"),
      error);
  ASSERT_TRUE(role) << error;
  EXPECT_EQ(role->role, Role::kPrimary);
  EXPECT_EQ(role->offset, 50);
  ASSERT_EQ(role->replicas.size(), 2u);
  EXPECT_EQ(role->replicas[1].host, "127.0.0.1");
  EXPECT_EQ(role->replicas[1].port, 7403);
  EXPECT_EQ(role->replicas[1].offset, 42);
}

TEST(RoleReport, PrimaryWithoutReplicas) {
  std::string error;
  const auto role = parse_role(parse("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"), error);
  ASSERT_TRUE(role) << error;
  EXPECT_TRUE(role->replicas.empty());
}

TEST(RoleReport, ConnectedReplica) {
  std::string error;
  const auto role = parse_role(
      parse("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:7401\r\n$9\r\nconnected\r\n:50\r\n"), error);
  ASSERT_TRUE(role) << error;
  EXPECT_EQ(role->role, Role::kReplica);
  EXPECT_EQ(role->primary_host, "127.0.0.1");
  EXPECT_EQ(role->primary_port, 7401);
  EXPECT_EQ(role->offset, 50);
  EXPECT_TRUE(role->link_up());
}

TEST(RoleReport, ReplicaStillHandshakingIsNotUp) {
  std::string error;
  const auto role = parse_role(
      parse("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:7401\r\n$9\r\nhandshake\r\n:-1\r\n"), error);
  ASSERT_TRUE(role) << error;
  EXPECT_FALSE(role->link_up());
  EXPECT_EQ(role->offset, -1);
}

TEST(RoleReport, MalformedRepliesSayWhy) {
  std::string error;
  EXPECT_FALSE(parse_role(parse("-ERR unknown command 'ROLE'\r\n"), error));
  EXPECT_NE(error.find("unknown command"), std::string::npos);
  EXPECT_FALSE(parse_role(parse("*1\r\n$6\r\nmaster\r\n"), error));
  EXPECT_NE(error.find("primary"), std::string::npos);
  EXPECT_FALSE(parse_role(parse("*2\r\n$5\r\nslave\r\n$1\r\nx\r\n"), error));
  EXPECT_FALSE(parse_role(parse("*1\r\n$7\r\nunknown\r\n"), error));
  EXPECT_FALSE(parse_role(parse(":1\r\n"), error));
  // A replica row with a port out of range.
  EXPECT_FALSE(parse_role(
      parse("*3\r\n$6\r\nmaster\r\n:5\r\n*1\r\n*3\r\n$1\r\nh\r\n$5\r\n99999\r\n$1\r\n5\r\n"),
      error));
}

}  // namespace
}  // namespace funnel::routing
