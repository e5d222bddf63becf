// The load behind the register histories the linearizability checker judges (coalescing and the
// near cache tests, issue #18): Funnel clients doing random GET (or MGET) / SET of unique values on
// a few keys ("lin:<n>", mostly the hot "lin:0", as a launch spike reads), plus direct writers that
// SET straight to Redis, each operation recorded with its invocation and response times.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "support/linearizability.hpp"

namespace funnel::test {

struct RegisterLoad {
  std::uint16_t funnel_port = 0;
  std::uint16_t redis_port = 0;
  int clients = 0;         // through Funnel
  int direct_writers = 0;  // straight to Redis
  int keys = 1;
  std::chrono::milliseconds duration{0};  // the run ends at this or at max_ops per client
  int max_ops = 0;
  unsigned seed = 1;  // each client's random choices: seed + its number * 7919
  // Reads through Funnel are MGET of the key and another random one, recorded as one read of
  // each key over the MGET's span (the near cache's MGET, issue #18 item 2).
  bool mget_reads = false;
};

// Every completed operation (errors have no outcome and are left out).
std::vector<Operation> run_register_history(const RegisterLoad& load);

// For the tests of a deliberately broken rule: runs the load up to `attempts` times and says
// whether the checker found a violation in one of them (a stale read is likely, not certain).
bool history_shows_a_violation(const RegisterLoad& load, int attempts);

// The steady clock in nanoseconds, as operations are timed.
std::int64_t steady_now_ns();

}  // namespace funnel::test
