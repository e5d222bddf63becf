// Many concurrent clients in the test process, each sending pipelined SET/GET pairs of keys and
// values unique to it and checking every reply: the proof that a reply never reaches the wrong
// client. Error replies (allowed during chaos) are counted apart from mismatches (never allowed).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace funnel::test {

struct LoadOptions {
  std::uint16_t port = 0;
  int clients = 100;
  int rounds = 10;       // pipelines per client
  int pipeline = 8;      // SET+GET pairs per pipeline
  bool resp3 = false;    // HELLO 3 first
  std::string password;  // AUTH first when set
  std::size_t value_size = 16;
  double disconnect_probability = 0;          // per pipeline: close before reading, reconnect
  std::chrono::milliseconds deadline{60000};  // whole run
  // When set, each client keeps sending pipelines (rounds is then ignored) until this much time
  // has passed, and stopping then is the plan, not a timeout. Must be shorter than deadline.
  std::chrono::milliseconds run_for{0};
  std::string key_prefix = "load";
};

struct LoadResult {
  std::uint64_t ok_replies = 0;
  std::uint64_t error_replies = 0;  // -ERR funnel: ... during chaos
  std::uint64_t mismatches = 0;     // a reply that is neither an error nor the expected one
  std::uint64_t connect_failures = 0;
  std::uint64_t dropped_connections = 0;  // closed by the peer or by us (disconnect chaos)
  bool timed_out = false;
  std::vector<std::string> samples;  // first few mismatches / errors, for messages
  std::string summary() const;
};

// Runs the load on one thread with Asio coroutines; returns when every client has finished or
// the deadline passed.
LoadResult run_load(const LoadOptions& options);

}  // namespace funnel::test
