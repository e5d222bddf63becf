// The register checker (tests/support/linearizability.hpp) on hand-made histories: it must
// accept every linearizable one (sequential, overlapping, a read of a write still in progress)
// and name each kind of violation (a stale read, a read from the future, an inversion between
// two reads, a read of nothing written, nil after a completed write).
#include "support/linearizability.hpp"

#include <gtest/gtest.h>

namespace funnel::test {
namespace {

Operation w(const char* value, std::int64_t begun, std::int64_t done, const char* key = "k") {
  return {Operation::Kind::kWrite, key, std::string(value), begun, done, 0};
}
Operation r(std::optional<std::string> value, std::int64_t begun, std::int64_t done,
            const char* key = "k") {
  return {Operation::Kind::kRead, key, std::move(value), begun, done, 1};
}

TEST(Linearizability, AcceptsLinearizableHistories) {
  struct Row {
    const char* what;
    std::vector<Operation> history;
  };
  const std::vector<Row> rows = {
      {"empty", {}},
      {"nil before any write", {r(std::nullopt, 0, 5), w("a", 10, 20), r("a", 30, 40)}},
      {"sequential", {w("a", 0, 10), r("a", 20, 30), w("b", 40, 50), r("b", 60, 70)}},
      {"read overlapping the write sees the old value",
       {w("a", 0, 10), w("b", 20, 50), r("a", 25, 35), r("b", 60, 70)}},
      {"read overlapping the write sees the new value",
       {w("a", 0, 10), w("b", 20, 50), r("b", 25, 35), r("b", 40, 45)}},
      {"overlapping writes in either order",
       {w("a", 0, 50), w("b", 10, 40), r("a", 60, 70), r("a", 80, 90)}},
      {"two keys interleaved",
       {w("a", 0, 10, "x"), w("b", 5, 15, "y"), r("a", 20, 30, "x"), r("b", 20, 30, "y")}},
      {"nil read overlapping the first write", {w("a", 10, 20), r(std::nullopt, 15, 25)}},
  };
  for (const Row& row : rows) {
    const auto violations = check_registers(row.history);
    EXPECT_TRUE(violations.empty()) << row.what << ": " << describe(violations);
  }
}

TEST(Linearizability, NamesEveryViolation) {
  struct Row {
    const char* what;
    std::vector<Operation> history;
  };
  const std::vector<Row> rows = {
      {"stale read: b completed before the read began",
       {w("a", 0, 10), w("b", 20, 30), r("a", 40, 50)}},
      {"stale read long after, with fresh reads in between",
       {w("a", 0, 10), w("b", 20, 30), r("b", 35, 38), r("a", 40, 50)}},
      {"read from the future", {r("a", 0, 5), w("a", 10, 20)}},
      {"read of nothing written", {w("a", 0, 10), r("zz", 20, 30)}},
      {"nil after a completed write", {w("a", 0, 10), r(std::nullopt, 20, 30)}},
      {"inversion: a later read sees the older value",
       {w("a", 0, 10), w("b", 20, 100), r("b", 30, 40), r("a", 50, 60)}},
      {"the same value written twice", {w("a", 0, 10), w("a", 20, 30)}},
  };
  for (const Row& row : rows) {
    EXPECT_FALSE(check_registers(row.history).empty()) << row.what;
  }
}

}  // namespace
}  // namespace funnel::test
