// Counting clients for the live reload tests (issue #17): each SETs its own key to an increasing
// counter and GETs it back, every reply checked, so an error, a lost write or a stale read during
// a reload shows as a failure.
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace funnel::test {

// One client of the load: SET its key to an increasing counter and GET it back, every reply
// checked. A stale read (a value going backwards) or an error is recorded.
struct Counter {
  std::atomic<long> done{0};
  std::vector<std::string> errors;
};

inline void count_up(std::uint16_t port, int id, Counter& counter, const std::atomic<bool>& stop) {
  try {
    RespConnection c(port, std::chrono::seconds(30));
    const std::string key = "counter:" + std::to_string(id);
    for (long n = 1; n < 1'000'000 && !stop.load(); ++n) {
      const resp::Value set = c.command({"SET", key, std::to_string(n)});
      if (set.str != "OK") return counter.errors.push_back("SET " + key + ": " + set.str);
      const resp::Value get = c.command({"GET", key});
      if (get.str != std::to_string(n)) {
        return counter.errors.push_back("GET " + key + " = " + get.str + ", wrote " +
                                        std::to_string(n));
      }
      counter.done.store(n);
    }
  } catch (const std::exception& e) {
    counter.errors.push_back(e.what());
  }
}

// The counting clients of a load test: each runs count_up on its own key until finish().
class CountingLoad {
 public:
  CountingLoad(std::uint16_t port, int clients) {
    for (int i = 0; i < clients; ++i) {
      counters_.push_back(std::make_unique<Counter>());
      threads_.emplace_back(count_up, port, i, std::ref(*counters_.back()), std::cref(stop_));
    }
  }
  ~CountingLoad() { finish(); }

  // Every client has counted to `floor`, or has stopped on an error (which finish() reports).
  bool progressed(long floor) const {
    for (const auto& c : counters_) {
      if (c->done.load() < floor && c->errors.empty()) return false;
    }
    return true;
  }
  long lowest() const {
    long lowest = 1'000'000;
    for (const auto& c : counters_) lowest = std::min(lowest, c->done.load());
    return lowest;
  }
  // Stops and joins every client, reports each client's errors as failures; the pairs checked.
  long finish() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    long total = 0;
    for (std::size_t i = 0; i < counters_.size(); ++i) {
      total += counters_[i]->done.load();
      for (const std::string& e : counters_[i]->errors)
        ADD_FAILURE() << "client " << i << ": " << e;
      counters_[i]->errors.clear();
    }
    return total;
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Counter>> counters_;
  std::vector<std::thread> threads_;
};

}  // namespace funnel::test
