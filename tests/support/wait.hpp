// Test fixtures (funnel::test): waiting on a condition with a deadline, the only way tests wait.
// A fixed sleep either wastes time or flakes; a polled condition does neither.
#pragma once

#include <chrono>
#include <thread>

namespace funnel::test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Polls condition() until it returns true or timeout passes. Returns the last result, so callers
// can ASSERT_TRUE(wait_until(...)). The poll interval starts at 1 ms and backs off to 20 ms: quick
// for conditions that are nearly true, cheap for slow ones (a process starting under ASan).
template <typename Condition>
bool wait_until(Condition&& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  auto interval = 1ms;
  while (true) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
    interval = std::min<std::chrono::milliseconds>(interval * 2, 20ms);
  }
}

}  // namespace funnel::test
