// A duration setting a configuration reload may change while other threads read it (issue #17,
// item 1): reads are one relaxed atomic load and convert to common::Millis wherever a plain value
// is used, so the code that reads it stays as it was. Copying takes the current value (a copy of
// settings made at start, e.g. the health checks' tighter timeouts, keeps its own).
#pragma once

#include <atomic>

#include "common/clock.hpp"

namespace funnel::common {

class LiveMillis {
 public:
  constexpr LiveMillis(Millis value = 0) : value_(value) {}  // NOLINT: implicit, as a plain value
  LiveMillis(const LiveMillis& other) : value_(other.get()) {}
  LiveMillis& operator=(const LiveMillis& other) {
    set(other.get());
    return *this;
  }
  LiveMillis& operator=(Millis value) {
    set(value);
    return *this;
  }
  operator Millis() const { return get(); }  // NOLINT: read as the plain value it replaces

  Millis get() const { return value_.load(std::memory_order_relaxed); }
  void set(Millis value) { value_.store(value, std::memory_order_relaxed); }

 private:
  std::atomic<Millis> value_;
};

}  // namespace funnel::common
