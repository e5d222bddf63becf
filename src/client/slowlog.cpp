// SlowLog's rings and Redis's argument cutting (slowlog.c, slowlogCreateEntry).
#include "client/slowlog.hpp"

#include <algorithm>

#include "resp/request_parser.hpp"

namespace funnel::client {

std::vector<std::string> slowlog_arguments(std::span<const std::string_view> argv) {
  const std::size_t kept = std::min(argv.size(), kSlowlogMaxArgs);
  std::vector<std::string> out;
  out.reserve(kept);
  for (std::size_t j = 0; j < kept; ++j) {
    if (kept != argv.size() && j == kept - 1) {
      out.push_back("... (" + std::to_string(argv.size() - kept + 1) + " more arguments)");
    } else if (argv[j].size() > kSlowlogMaxArgBytes) {
      out.emplace_back(argv[j].substr(0, kSlowlogMaxArgBytes));
      out.back() += "... (" + std::to_string(argv[j].size() - kSlowlogMaxArgBytes) + " more bytes)";
    } else {
      out.emplace_back(argv[j]);
    }
  }
  return out;
}

std::vector<std::string> slowlog_arguments_of(std::string_view bytes) {
  resp::RequestParser parser;
  if (parser.parse(bytes) != resp::ParseStatus::kComplete) return {};
  return slowlog_arguments(parser.request().args());
}

SlowLog::SlowLog(unsigned workers, std::size_t max_len) : max_len_(max_len) {
  for (unsigned i = 0; i < std::max(workers, 1u); ++i) rings_.push_back(std::make_unique<Ring>());
}

void SlowLog::add(unsigned worker, SlowEntry entry) {
  const std::size_t max_len = max_len_.load(std::memory_order_relaxed);
  if (max_len == 0 || worker >= rings_.size()) return;
  Ring& ring = *rings_[worker];
  std::lock_guard lock(ring.mutex);
  entry.id = next_id_.fetch_add(1, std::memory_order_relaxed);
  ring.entries.push_back(std::move(entry));
  while (ring.entries.size() > max_len) ring.entries.pop_front();
}

// Each ring holds at most max_len entries, so the merged log keeps the newest max_len overall.
std::vector<SlowEntry> SlowLog::newest(std::size_t count) const {
  std::vector<SlowEntry> all;
  for (const auto& ring : rings_) {
    std::lock_guard lock(ring->mutex);
    all.insert(all.end(), ring->entries.begin(), ring->entries.end());
  }
  std::sort(all.begin(), all.end(),
            [](const SlowEntry& a, const SlowEntry& b) { return a.id > b.id; });
  all.resize(std::min({all.size(), count, max_len_.load(std::memory_order_relaxed)}));
  return all;
}

std::size_t SlowLog::size() const {
  std::size_t n = 0;
  for (const auto& ring : rings_) {
    std::lock_guard lock(ring->mutex);
    n += ring->entries.size();
  }
  return std::min(n, max_len_.load(std::memory_order_relaxed));
}

void SlowLog::resize(std::size_t max_len) {
  max_len_.store(max_len, std::memory_order_relaxed);
  for (const auto& ring : rings_) {
    std::lock_guard lock(ring->mutex);
    while (ring->entries.size() > max_len) ring->entries.pop_front();  // the oldest first
  }
}

void SlowLog::reset() {
  for (const auto& ring : rings_) {
    std::lock_guard lock(ring->mutex);
    ring->entries.clear();
  }
}

}  // namespace funnel::client
