// The hostile clients of issue #14, run together against one Funnel while well-behaved clients
// work beside them (tests/integration/hostile_soak_test.cpp). Each attack runs on its own thread
// until stop() or its own bound (a count of connections or actions), paced so that it tests what
// Funnel does with hostile bytes, not how many CPU cycles the test process can burn on 2 cores.
// Only 127.0.0.0/8 is ever a target.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace funnel::test {

struct CrowdTarget {
  std::uint16_t port = 0;        // Funnel's Redis listener
  std::uint16_t admin_port = 0;  // Funnel's admin HTTP listener
  std::string password;          // the clients' password (hostile clients may know it too)
  std::string big_key;           // a key holding a large value, for the slow readers
  std::string readonly_counter;  // the key the fake-READONLY script increments
};

// What one attack did. `anomalies` are answers that contradict the expected defence (a protocol
// error that never came, a script reply of the wrong shape); samples say what they were.
struct AttackStats {
  std::string name;
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> actions{0};
  std::atomic<std::uint64_t> anomalies{0};
  std::vector<std::string> samples;  // written only by the attack's own thread
};

class HostileCrowd {
 public:
  explicit HostileCrowd(CrowdTarget target);
  ~HostileCrowd();
  HostileCrowd(const HostileCrowd&) = delete;
  HostileCrowd& operator=(const HostileCrowd&) = delete;

  // Starts every attack on its own thread.
  void start();
  // Stops every attack, closes every socket they hold and joins the threads.
  void stop();
  // One line per attack (connections, actions, anomalies and the first samples).
  std::string summary() const;
  std::uint64_t anomalies() const;
  // Successful EVAL calls of the fake-READONLY script: the counter key must equal this.
  std::uint64_t readonly_script_runs() const { return readonly_runs_.load(); }

 private:
  using Attack = void (HostileCrowd::*)(AttackStats&);
  void launch(const char* name, Attack attack);
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }

  // The attacks (hostile_crowd.cpp), each on its own thread.
  void half_requests_then_close(AttackStats& stats);
  void slow_endless_bulks(AttackStats& stats);
  void huge_headers(AttackStats& stats);
  void slow_readers(AttackStats& stats);
  void auth_guessing(AttackStats& stats);
  void slow_admin_requests(AttackStats& stats);
  void fake_readonly_scripts(AttackStats& stats);
  void deep_replies(AttackStats& stats);
  void many_arguments_trickled(AttackStats& stats);

  CrowdTarget target_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> readonly_runs_{0};
  std::vector<std::unique_ptr<AttackStats>> stats_;
  std::vector<std::thread> threads_;
};

}  // namespace funnel::test
