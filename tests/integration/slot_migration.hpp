// Slot migrations made by hand on a real cluster (tests of issue #16's redirects): a node's id,
// a slot put in migration from its owner to another primary with some of its keys moved
// (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE), and the migration finished (SETSLOT NODE on
// every primary). Shared by cluster_test.cpp and cluster_migration_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.hpp"
#include "routing/key_slot.hpp"
#include "support/redis_cluster.hpp"

namespace funnel::test {

inline std::string node_id(std::uint16_t port) {
  RespConnection conn(port);
  return std::string(conn.command({"CLUSTER", "MYID"}).as_string().value_or(""));
}

// A slot in migration from its owner (`source`) to another primary (`target`).
struct SlotMove {
  std::uint16_t slot = 0;
  std::uint16_t source = 0;
  std::uint16_t target = 0;
  // The ASK its source answers for a key already moved.
  std::string ask() const {
    return "ASK " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(target);
  }
};

// Puts the slot of `slot_key` in migration and moves `moved` (keys of that slot) to the target;
// the slot's other keys stay on the source. The slot is left migrating.
inline SlotMove begin_move(RedisCluster& cluster, const std::string& slot_key,
                           const std::vector<std::string>& moved) {
  SlotMove move;
  move.slot = routing::key_slot(slot_key);
  move.source = cluster.primary_port_for_slot(move.slot);
  for (std::uint16_t port : cluster.primary_ports()) {
    if (port != move.source) move.target = port;
  }
  const std::string slot = std::to_string(move.slot);
  RespConnection target(move.target);
  RespConnection source(move.source);
  EXPECT_EQ(target.command({"CLUSTER", "SETSLOT", slot, "IMPORTING", node_id(move.source)}).str,
            "OK");
  EXPECT_EQ(source.command({"CLUSTER", "SETSLOT", slot, "MIGRATING", node_id(move.target)}).str,
            "OK");
  std::vector<std::string> migrate{"MIGRATE", "127.0.0.1", std::to_string(move.target), "", "0",
                                   "5000",    "KEYS"};
  migrate.insert(migrate.end(), moved.begin(), moved.end());
  const resp::Value migrated = source.command(migrate);
  EXPECT_EQ(migrated.str, "OK") << migrated.str;
  return move;
}

// Every primary gives the slot to the target; waits until the cluster agrees.
inline void finish_move(RedisCluster& cluster, const SlotMove& move) {
  const std::string target_id = node_id(move.target);
  for (std::uint16_t port : cluster.primary_ports()) {
    RespConnection conn(port);
    EXPECT_EQ(
        conn.command({"CLUSTER", "SETSLOT", std::to_string(move.slot), "NODE", target_id}).str,
        "OK");
  }
  ASSERT_TRUE(cluster.wait_converged());
}

}  // namespace funnel::test
