// Per-user admission limits (issue #18 item 3): how many connections a user may hold at once and
// how many commands a second it may send, over the whole process, so one runaway function (a
// leaky singleton, a retry loop) cannot take every place or the whole backend. No I/O.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace funnel::security {

struct UserLimits {
  std::uint32_t max_connections = 0;     // 0: no limit
  std::uint32_t max_commands_per_s = 0;  // 0: no limit
  std::uint32_t max_pinned = 0;          // its clients holding a pinned link at once; 0: no limit
};

// One worker's share of a user's commands per second: a token bucket that holds one second of
// its share (a client may send a second's worth at once, then at the rate).
class CommandBucket {
 public:
  // Takes a token for one command at `now_ms`: 0 when it may run, else the milliseconds until
  // the next token (the "retry after" of the refusal). `share_per_s` > 0.
  std::int64_t take(double share_per_s, std::int64_t now_ms);

 private:
  double tokens_ = 0;
  std::int64_t refilled_at_ = 0;
  bool started_ = false;
};

// server.workers is at most this (config/key_table.cpp): one bucket per worker, each on its own
// cache line and touched only by its worker's thread, so the check takes no lock and no shared
// atomic per request.
inline constexpr std::size_t kMaxWorkers = 256;

// What every worker shares about one user. A configuration reload gives the new directory's user
// of the same name the same counters (UserDirectory::rebuild), so the count of connections in
// use carries over.
struct UserCounters {
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> refused_commands{0};
  std::atomic<std::int64_t> pinned{0};  // its clients holding (or waiting for) a pinned link
  std::atomic<std::uint64_t> refused_pins{0};
  struct alignas(64) Share {
    CommandBucket bucket;
  };
  std::array<Share, kMaxWorkers> shares{};
};

// A connection starts acting as the user: false (counted as refused) when the user already holds
// `max_connections` (0: no limit). Any thread.
bool enter_user(UserCounters& counters, std::uint32_t max_connections);
void leave_user(UserCounters& counters);
// A client of the user starts holding a pinned backend link (WATCH, MULTI on its own link, a
// blocking command, tracking, MONITOR): false (counted as refused) when the user's clients hold
// `max_pinned` already (0: no limit). Any thread.
bool enter_pin(UserCounters& counters, std::uint32_t max_pinned);
void leave_pin(UserCounters& counters);

// Redis's own text for a full server, naming the user and the setting (clients and their retry
// logic recognise the prefix), and Funnel's refusal of a command over the user's rate.
std::string user_connections_error(std::string_view user, std::uint32_t max_connections);
std::string user_rate_error(std::string_view user, std::uint32_t max_commands_per_s,
                            std::int64_t retry_ms);
std::string user_pinned_error(std::string_view user, std::uint32_t max_pinned);

}  // namespace funnel::security
