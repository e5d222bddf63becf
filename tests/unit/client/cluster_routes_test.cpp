// first_key_slot: which key picks a request's shard in cluster mode (issue #16). Expected slots
// are redis-server 7.0.15's CLUSTER KEYSLOT of the key ("foo" 12182, "{a}b" 15495,
// "mystream" 12571).
#include "client/cluster_routes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../command/request_helpers.hpp"
#include "command/command_table.hpp"

namespace funnel::client {
namespace {

using command::test::ParsedRequest;

std::uint16_t slot_of(const std::vector<std::string>& args) {
  static const auto table = command::CommandTable::builtin();
  ParsedRequest request(args);
  command::Classification cls;
  command::classify(*table, request.get(), cls);
  return first_key_slot(cls, request.get());
}

TEST(ClusterRoutes, FirstKeySlot) {
  const struct {
    std::vector<std::string> args;
    std::uint16_t slot;
  } rows[] = {
      {{"GET", "foo"}, 12182},
      {{"set", "foo", "1"}, 12182},
      {{"MGET", "foo", "{a}b"}, 12182},  // the first key decides; CROSSSLOT is the planner's
      {{"HSET", "{a}b", "f", "v"}, 15495},
      {{"XINFO", "STREAM", "mystream"}, 12571},  // a subcommand's key spec counts from its name
      {{"EVAL", "return 1", "1", "foo"}, 12182},
      {{"EVALSHA_RO", "abc", "2", "{a}b", "foo"}, 15495},
      {{"FCALL", "f", "1", "foo"}, 12182},
      {{"EVAL", "return 1", "0"}, kNoSlot},
      {{"EVAL", "return 1", "x", "foo"}, kNoSlot},  // numkeys not a number: Redis's error
      {{"PING"}, kNoSlot},
      {{"DBSIZE"}, kNoSlot},
      {{"INFO"}, kNoSlot},
      {{"NOSUCHCOMMAND", "foo"}, kNoSlot},
      {{"XREAD", "STREAMS", "mystream", "0"}, kNoSlot},  // movable keys: MOVED takes it there
  };
  for (const auto& row : rows) EXPECT_EQ(slot_of(row.args), row.slot) << row.args[0];
}

}  // namespace
}  // namespace funnel::client
