// The stale-read rule (see staleness.hpp).
#include "storm/staleness.hpp"

#include <algorithm>

namespace funnel::storm {

void StalenessChecker::add_write(const WriteAck& write) {
  if (write.key >= writes_.size()) return;
  KeyWrites& key = writes_[write.key];
  key.acks.push_back(write);
  key.prepared = false;
}

void StalenessChecker::prepare(KeyWrites& key) {
  if (key.prepared) return;
  std::stable_sort(key.acks.begin(), key.acks.end(),
                   [](const WriteAck& a, const WriteAck& b) { return a.ack_ns < b.ack_ns; });
  key.highest.resize(key.acks.size());
  std::uint64_t highest = 0;
  for (std::size_t i = 0; i < key.acks.size(); ++i) {
    highest = std::max(highest, key.acks[i].version);
    key.highest[i] = highest;
  }
  key.prepared = true;
}

std::int64_t StalenessChecker::staleness_ns(const ReadObservation& read) {
  if (read.key >= writes_.size()) return 0;
  KeyWrites& key = writes_[read.key];
  prepare(key);
  // The writes acknowledged strictly before the read began: acks[0, before).
  const auto before = static_cast<std::size_t>(
      std::lower_bound(key.acks.begin(), key.acks.end(), read.start_ns,
                       [](const WriteAck& w, std::int64_t t) { return w.ack_ns < t; }) -
      key.acks.begin());
  if (before == 0 || key.highest[before - 1] <= read.version) return 0;
  // highest[] never decreases: the first index above read.version is the first newer write.
  const auto first =
      std::upper_bound(key.highest.begin(), key.highest.begin() + before, read.version) -
      key.highest.begin();
  return read.start_ns - key.acks[static_cast<std::size_t>(first)].ack_ns;
}

StaleSummary StalenessChecker::check(const std::vector<ReadObservation>& reads) {
  StaleSummary summary;
  std::int64_t worst_ns = 0;
  for (const auto& read : reads) {
    ++summary.checked;
    const std::int64_t ns = staleness_ns(read);
    if (ns <= 0) continue;
    ++summary.stale;
    worst_ns = std::max(worst_ns, ns);
  }
  summary.max_staleness_ms = static_cast<double>(worst_ns) / 1e6;
  return summary;
}

}  // namespace funnel::storm
