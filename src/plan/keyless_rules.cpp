// keyless_fan_out (see keyless_rules.hpp): one row per command.
#include "plan/keyless_rules.hpp"

#include <string_view>

namespace funnel::plan {
namespace {

struct KeylessRow {
  std::string_view name;  // the command table's name ("script|load" for a subcommand)
  PartTarget target;
  Merge merge;
};

constexpr KeylessRow kRows[] = {
    {"dbsize", PartTarget::kEachPrimary, Merge::kNodeSum},
    {"keys", PartTarget::kEachPrimary, Merge::kNodeConcat},
    {"randomkey", PartTarget::kEachPrimary, Merge::kNodeRandom},
    {"scan", PartTarget::kScanShard, Merge::kNodeScan},
    {"flushall", PartTarget::kEachPrimary, Merge::kNodeAllOk},
    {"flushdb", PartTarget::kEachPrimary, Merge::kNodeAllOk},
    // Redis replicates neither SCRIPT LOAD nor SCRIPT FLUSH: every node Funnel uses gets them.
    {"script|load", PartTarget::kEveryNode, Merge::kNodeAgree},
    {"script|flush", PartTarget::kEveryNode, Merge::kNodeAgree},
    {"script|exists", PartTarget::kEveryNode, Merge::kNodeAnd},
    // FUNCTION's are replicated from a primary to its replicas: every primary is enough, and a
    // replica would refuse them (READONLY).
    {"function|load", PartTarget::kEachPrimary, Merge::kNodeAgree},
    {"function|flush", PartTarget::kEachPrimary, Merge::kNodeAgree},
    {"function|delete", PartTarget::kEachPrimary, Merge::kNodeAgree},
};

}  // namespace

FanOut keyless_fan_out(const command::CommandSpec& spec) {
  FanOut fan_out;
  for (const KeylessRow& row : kRows) {
    if (spec.name != row.name) continue;
    fan_out.parts[0] = row.target;
    fan_out.count = 1;
    fan_out.merge = row.merge;
    break;
  }
  return fan_out;
}

}  // namespace funnel::plan
