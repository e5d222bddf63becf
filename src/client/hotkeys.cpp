// SpaceSaving and HotKeys (hotkeys.hpp).
#include "client/hotkeys.hpp"

#include <algorithm>
#include <unordered_map>

namespace funnel::client {
namespace {
void sort_top(std::vector<KeyCount>& keys) {
  std::sort(keys.begin(), keys.end(), [](const KeyCount& a, const KeyCount& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
}
}  // namespace

void SpaceSaving::add(std::string_view key, std::uint64_t weight) {
  for (KeyCount& entry : entries_) {
    if (entry.first == key) {
      entry.second += weight;
      return;
    }
  }
  if (entries_.size() < capacity_) {
    entries_.emplace_back(std::string(key), weight);
    return;
  }
  auto smallest =
      std::min_element(entries_.begin(), entries_.end(),
                       [](const KeyCount& a, const KeyCount& b) { return a.second < b.second; });
  smallest->first.assign(key);
  smallest->second += weight;
}

std::vector<KeyCount> SpaceSaving::top() const {
  std::vector<KeyCount> out = entries_;
  sort_top(out);
  return out;
}

std::vector<KeyCount> merge_top(const std::vector<std::vector<KeyCount>>& tables,
                                std::size_t count) {
  std::unordered_map<std::string, std::uint64_t> sums;
  for (const auto& table : tables) {
    for (const auto& [key, n] : table) sums[key] += n;
  }
  std::vector<KeyCount> out(sums.begin(), sums.end());
  sort_top(out);
  if (out.size() > count) out.resize(count);
  return out;
}

HotKeys::HotKeys(unsigned workers, unsigned sample_every, common::Millis window_ms)
    : sample_every_(sample_every), window_ms_(window_ms) {
  for (unsigned i = 0; i < workers; ++i) tables_.push_back(std::make_unique<Table>());
}

void HotKeys::sample(unsigned worker, std::string_view key) {
  Table& t = *tables_[worker];
  t.current.add(key.substr(0, kMaxKeyBytes), sample_every());
  t.dirty = true;
}

void HotKeys::publish(unsigned worker, common::Millis now) {
  Table& t = *tables_[worker];
  const bool rolled = now - t.window_start >= window_ms_.load(std::memory_order_relaxed);
  if (rolled) {
    t.window_start = now;
    std::swap(t.previous, t.current);
    t.current.clear();
  }
  if (!t.dirty && !rolled) return;
  t.dirty = false;
  std::vector<KeyCount> both = merge_top({t.previous.top(), t.current.top()}, kCapacity);
  std::lock_guard lock(t.mutex);
  t.published = std::move(both);
}

std::vector<KeyCount> HotKeys::top(std::size_t count) const {
  std::vector<std::vector<KeyCount>> copies;
  for (const auto& t : tables_) {
    std::lock_guard lock(t->mutex);
    copies.push_back(t->published);
  }
  return merge_top(copies, count);
}

}  // namespace funnel::client
