// The hot-key workload's pure parts (issue #18 item 5, docs/storm.md): the Zipf distribution the
// invocations draw keys from, the key names, and the versioned values the writer stores and the
// readers parse. No I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storm/scenario.hpp"

namespace funnel::storm {

// Ranks 0..n-1 with P(rank k) proportional to 1 / (k + 1)^s: rank 0 is the hottest key.
class ZipfDistribution {
 public:
  ZipfDistribution(int n, double s);
  // The rank for a uniform draw u in [0, 1).
  int rank(double u) const;
  double probability(int rank) const;

 private:
  std::vector<double> cdf_;
};

// The key of rank `rank`: the prefix and the rank ("storm:hot:0").
std::string hot_key_name(const HotKeyMix& hot, int rank);

// "<version>:" padded with 'v' to size bytes (at least the version and its colon).
std::string hot_value(std::uint64_t version, int size);
// The version in a GET reply to a value hot_value() wrote (a RESP bulk string "$n\r\n123:vvv\r\n"),
// or nullopt for a null, an error or anything else.
std::optional<std::uint64_t> parse_hot_version(std::string_view reply);

// What the backend runs for the hot-key run's reads, by name in Redis's INFO commandstats: the
// invocations' GET, and PTTL, the near cache's probe that goes with each of its fills (Funnel's
// own read on the invocations' behalf; the writer's SETs are not counted).
inline constexpr std::array<std::string_view, 2> kHotReadCommands = {"get", "pttl"};

}  // namespace funnel::storm
