// The merges of keyless fan-out in cluster mode (issue #16, item 5) that reply_merge.cpp does not
// do itself: the same command sent to every node (SCRIPT LOAD/FLUSH, FUNCTION LOAD/FLUSH/DELETE)
// answers the first node's reply when all agree; SCRIPT EXISTS answers 1 for a script only where
// every node has it; RANDOMKEY answers a random non-empty shard's key. Errors never get here: the
// error of the lowest part wins before (ReplyMerge). No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace funnel::routing {

// The proxy's error for replies of an unexpected shape, and for nodes that disagree.
inline constexpr std::string_view kUnexpectedPart =
    "-ERR funnel: a cluster node sent an unexpected reply to part of a cross-slot request\r\n";
inline constexpr std::string_view kNodesDisagree =
    "-ERR funnel: the cluster's nodes answered this command differently; run it on each node "
    "directly to see why\r\n";

// Every reply the same: that reply; else kNodesDisagree.
void merge_agree(const std::vector<std::string>& replies, std::string& out);
// Arrays of integers of one length (SCRIPT EXISTS): element i is 1 where every array's is 1.
void merge_and_arrays(const std::vector<std::string>& replies, std::string& out);
// One of the replies that is not a null ($-1 in RESP2, _ in RESP3), chosen by `pick` (any
// number, e.g. random); a null only if all are.
void merge_random_pick(const std::vector<std::string>& replies, std::uint32_t pick,
                       std::string& out);

}  // namespace funnel::routing
