// Test fixtures (funnel::test): a linearizability checker for histories of reads and writes on
// registers (issue #18: the proof that read coalescing returns nothing a single Redis would not).
//
// Every written value must be unique (per key), which makes the check exact and polynomial
// (Gibbons & Korach's zones, as used by Jepsen's register checks on unique-value histories): for
// each value v, its cluster is the write of v and every read that returned v; with min_done the
// earliest response in the cluster and max_begun the latest invocation, the cluster has a
// forward zone [min_done, max_begun] if min_done < max_begun, else a backward zone
// [max_begun, min_done]. A key's history is linearizable iff every read's value was written by a
// write invoked before the read completed, no two forward zones overlap, and no backward zone
// lies inside a forward zone. The key's initial value (nil) is a write at the beginning of time.
// In words: a read never returns a value older than one a completed write had replaced before
// the read began (a stale read), never a value not yet written, and two reads that do not
// overlap never see values in the opposite order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace funnel::test {

struct Operation {
  enum class Kind : std::uint8_t { kWrite, kRead };
  Kind kind = Kind::kRead;
  std::string key;
  std::optional<std::string> value;  // written, or read (nullopt: nil)
  std::int64_t begun_ns = 0;         // invocation (steady_clock), before the request was sent
  std::int64_t done_ns = 0;          // response, after the reply was read; INT64_MAX: unknown
  int client = 0;
};

struct Violation {
  std::string key;
  std::string what;  // which rule, with the values and times involved
};

// Checks each key's history; returns every violation found (empty: linearizable).
std::vector<Violation> check_registers(const std::vector<Operation>& history);

// A one-line summary of at most `max` violations, for test failure messages.
std::string describe(const std::vector<Violation>& violations, std::size_t max = 5);

}  // namespace funnel::test
