// The hot-key workload's stale-read rule: a table of writes (key, version, acknowledgement time)
// and reads (key, version returned, start time) with the verdict and staleness each must get.
// The same table is run through deliberately wrong rules, each of which must disagree with it
// somewhere: a table that every rule passes would prove nothing.
#include "storm/staleness.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace funnel::storm {
namespace {

// Key 0: versions 1, 2, 3 acknowledged at 100, 200, 300. Key 1: version 5 at 100, then version
// 7 acknowledged at 150 before version 6 at 160 (two writers' replies in another order than their
// versions). Key 2: never written during the run.
const std::vector<WriteAck> kWrites = {
    {0, 1, 100}, {0, 2, 200}, {0, 3, 300}, {1, 5, 100}, {1, 7, 150}, {1, 6, 160},
};

struct Row {
  const char* what;
  ReadObservation read;
  std::int64_t staleness_ns;  // 0: not stale
};

const Row kTable[] = {
    {"the newest acknowledged version", {0, 3, 400}, 0},
    {"one version behind: stale since the newer write's acknowledgement", {0, 2, 400}, 100},
    {"two behind: stale since the first newer write's acknowledgement", {0, 1, 400}, 200},
    {"a write acknowledged during the read may or may not be seen", {0, 2, 250}, 0},
    {"stale by the write acknowledged before the read, not by the one during it", {0, 1, 250}, 50},
    {"the write acknowledged exactly when the read began is not before it", {0, 2, 300}, 0},
    {"a read that began before any write of this run", {0, 0, 50}, 0},
    {"a value older than every write of the run", {0, 0, 150}, 50},
    {"a newer version than any acknowledged (a write still in flight)", {0, 4, 400}, 0},
    {"versions acknowledged out of order: the highest counts", {1, 6, 200}, 50},
    {"the highest acknowledged version itself", {1, 7, 200}, 0},
    {"a key nobody wrote", {2, 0, 500}, 0},
    {"a key outside the key set", {9, 0, 500}, 0},
};

using Rule = std::function<std::int64_t(const std::vector<WriteAck>&, const ReadObservation&)>;

std::int64_t real_rule(const std::vector<WriteAck>& writes, const ReadObservation& read) {
  StalenessChecker checker(3);
  for (const auto& w : writes) checker.add_write(w);
  return checker.staleness_ns(read);
}

// Wrong: any newer version counts, even one acknowledged after the read began.
std::int64_t ignores_ack_time(const std::vector<WriteAck>& writes, const ReadObservation& read) {
  std::int64_t first = -1;
  for (const auto& w : writes) {
    if (w.key == read.key && w.version > read.version && (first < 0 || w.ack_ns < first)) {
      first = w.ack_ns;
    }
  }
  return first < 0 ? 0 : std::max<std::int64_t>(read.start_ns - first, 1);
}

// Wrong: a write acknowledged at the read's start counts as before it.
std::int64_t inclusive_boundary(const std::vector<WriteAck>& writes, const ReadObservation& read) {
  std::int64_t first = -1;
  for (const auto& w : writes) {
    if (w.key == read.key && w.version > read.version && w.ack_ns <= read.start_ns &&
        (first < 0 || w.ack_ns < first)) {
      first = w.ack_ns;
    }
  }
  return first < 0 ? 0 : std::max<std::int64_t>(read.start_ns - first, 1);
}

// Wrong: compares with the last write acknowledged before the read, not the highest version.
std::int64_t last_ack_only(const std::vector<WriteAck>& writes, const ReadObservation& read) {
  const WriteAck* last = nullptr;
  for (const auto& w : writes) {
    if (w.key == read.key && w.ack_ns < read.start_ns && (!last || w.ack_ns > last->ack_ns)) {
      last = &w;
    }
  }
  return last != nullptr && last->version > read.version ? read.start_ns - last->ack_ns : 0;
}

// Wrong: measures staleness from the newest newer write instead of the first.
std::int64_t from_newest_write(const std::vector<WriteAck>& writes, const ReadObservation& read) {
  std::int64_t newest = -1;
  for (const auto& w : writes) {
    if (w.key == read.key && w.version > read.version && w.ack_ns < read.start_ns) {
      newest = std::max(newest, w.ack_ns);
    }
  }
  return newest < 0 ? 0 : read.start_ns - newest;
}

// The rows where rule disagrees with the table.
std::vector<std::string> disagreements(const Rule& rule) {
  std::vector<std::string> rows;
  for (const auto& row : kTable) {
    if (rule(kWrites, row.read) != row.staleness_ns) rows.emplace_back(row.what);
  }
  return rows;
}

TEST(Staleness, TheRuleMatchesTheTable) {
  for (const auto& row : kTable) {
    EXPECT_EQ(real_rule(kWrites, row.read), row.staleness_ns) << row.what;
  }
}

TEST(Staleness, EveryWrongRuleFailsTheTable) {
  EXPECT_FALSE(disagreements(ignores_ack_time).empty());
  EXPECT_FALSE(disagreements(inclusive_boundary).empty());
  EXPECT_FALSE(disagreements(last_ack_only).empty());
  EXPECT_FALSE(disagreements(from_newest_write).empty());
}

TEST(Staleness, CheckCountsStaleReadsAndTheWorst) {
  StalenessChecker checker(2);
  // Added out of acknowledgement order: the checker sorts them.
  checker.add_write({0, 2, 2'000'000});
  checker.add_write({0, 1, 1'000'000});
  const StaleSummary s = checker.check({{0, 2, 3'000'000},    // current
                                        {0, 1, 5'000'000},    // 3 ms stale
                                        {0, 0, 1'500'000},    // 0.5 ms stale
                                        {1, 0, 9'000'000}});  // never written
  EXPECT_EQ(s.checked, 4u);
  EXPECT_EQ(s.stale, 2u);
  EXPECT_DOUBLE_EQ(s.max_staleness_ms, 3.0);
}

}  // namespace
}  // namespace funnel::storm
