// Steady load across a takeover (issue #17, item 4): clients each on their own connection doing
// SET/GET pairs with value checks, reconnecting when Funnel closes them between requests, and
// counting what a takeover must never cause: a refused connect, a failed or wrong reply.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace funnel::test {

struct TakeoverLoadCounts {
  std::atomic<std::uint64_t> ok{0};              // SET+GET pairs answered and checked
  std::atomic<std::uint64_t> refused{0};         // connect() failed with ECONNREFUSED
  std::atomic<std::uint64_t> connect_errors{0};  // any other connect failure
  std::atomic<std::uint64_t> idle_closes{0};     // closed with no reply byte owed: retried
  std::atomic<std::uint64_t> failed{0};          // an error reply, a cut reply, a timeout
  std::atomic<std::uint64_t> mismatches{0};      // a reply other than the expected one
};

class TakeoverLoad {
 public:
  // `clients` connections to 127.0.0.1:port, spread over `threads` threads.
  TakeoverLoad(std::uint16_t port, int clients, int threads);
  ~TakeoverLoad();  // stop()
  void stop();
  const TakeoverLoadCounts& counts() const { return counts_; }
  // When each idle close was seen, in milliseconds since the load started.
  std::vector<std::int64_t> idle_close_times() const;
  std::string summary() const;
  std::vector<std::string> samples() const;

 private:
  void run(int first, int count);
  bool round(int client, int& fd, std::uint64_t sequence);
  void note_failure(const std::string& what);

  std::uint16_t port_;
  std::chrono::steady_clock::time_point started_;
  TakeoverLoadCounts counts_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::vector<std::int64_t> idle_close_times_;
  std::vector<std::string> samples_;
};

}  // namespace funnel::test
