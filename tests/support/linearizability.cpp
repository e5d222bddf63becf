// check_registers (linearizability.hpp): Gibbons & Korach's zones per key.
#include "support/linearizability.hpp"

#include <algorithm>
#include <limits>
#include <map>

namespace funnel::test {
namespace {

constexpr std::int64_t kBeginning = std::numeric_limits<std::int64_t>::min();

struct Cluster {
  bool written = false;
  std::int64_t write_begun = kBeginning;
  std::int64_t min_done = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_begun = kBeginning;
};

struct Zone {
  std::int64_t low;
  std::int64_t high;
  std::string value;
};

std::string show(const std::optional<std::string>& value) {
  return value ? "\"" + *value + "\"" : std::string("nil");
}

void add(Cluster& c, const Operation& op) {
  c.min_done = std::min(c.min_done, op.done_ns);
  c.max_begun = std::max(c.max_begun, op.begun_ns);
}

// The clusters of one key, by value (nil: the initial value, written at the beginning of time).
std::map<std::optional<std::string>, Cluster> clusters_of(const std::vector<const Operation*>& ops,
                                                          const std::string& key,
                                                          std::vector<Violation>& out) {
  std::map<std::optional<std::string>, Cluster> clusters;
  Cluster& initial = clusters[std::nullopt];
  initial.written = true;
  initial.min_done = kBeginning;
  for (const Operation* op : ops) {
    if (op->kind != Operation::Kind::kWrite) continue;
    Cluster& c = clusters[op->value];
    if (c.written) out.push_back({key, "value " + show(op->value) + " written twice"});
    c.written = true;
    c.write_begun = op->begun_ns;
    add(c, *op);
  }
  for (const Operation* op : ops) {
    if (op->kind != Operation::Kind::kRead) continue;
    auto it = clusters.find(op->value);
    if (it == clusters.end() || !it->second.written) {
      out.push_back({key, "read of " + show(op->value) + " that no write wrote"});
      continue;
    }
    if (op->done_ns < it->second.write_begun) {
      out.push_back({key, "read of " + show(op->value) + " completed at " +
                              std::to_string(op->done_ns) + " before its write began at " +
                              std::to_string(it->second.write_begun)});
    }
    add(it->second, *op);
  }
  return clusters;
}

void check_key(const std::string& key, const std::vector<const Operation*>& ops,
               std::vector<Violation>& out) {
  std::vector<Zone> forward, backward;
  for (const auto& [value, c] : clusters_of(ops, key, out)) {
    const std::string shown = show(value);
    if (c.min_done < c.max_begun) {
      forward.push_back({c.min_done, c.max_begun, shown});
    } else {
      backward.push_back({c.max_begun, c.min_done, shown});
    }
  }
  std::sort(forward.begin(), forward.end(),
            [](const Zone& a, const Zone& b) { return a.low < b.low; });
  for (std::size_t i = 1; i < forward.size(); ++i) {
    if (forward[i].low < forward[i - 1].high) {
      out.push_back({key, "values " + forward[i - 1].value + " and " + forward[i].value +
                              " were each seen after the other had been (overlapping forward "
                              "zones): a stale or out-of-order read"});
    }
  }
  for (const Zone& b : backward) {
    for (const Zone& f : forward) {
      if (f.low < b.low && b.high < f.high) {
        out.push_back({key, "write of " + b.value + " and its reads lie wholly inside the time " +
                                f.value +
                                " was still being read after being replaced: a stale "
                                "read"});
      }
    }
  }
}

}  // namespace

std::vector<Violation> check_registers(const std::vector<Operation>& history) {
  std::map<std::string, std::vector<const Operation*>> by_key;
  for (const Operation& op : history) by_key[op.key].push_back(&op);
  std::vector<Violation> out;
  for (const auto& [key, ops] : by_key) check_key(key, ops, out);
  return out;
}

std::string describe(const std::vector<Violation>& violations, std::size_t max) {
  std::string text = std::to_string(violations.size()) + " violation(s)";
  for (std::size_t i = 0; i < violations.size() && i < max; ++i) {
    text += "; key " + violations[i].key + ": " + violations[i].what;
  }
  return text;
}

}  // namespace funnel::test
