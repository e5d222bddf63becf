// funnel-storm's run parameters: what the simulated serverless fleet does (arrival profile,
// connection strategy, commands) and the bounds that keep every run finite. Plain data; the CLI
// fills it and validate() checks it before anything starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace funnel::storm {

// How an invocation gets its Redis connection (see docs/storm.md).
enum class Strategy : std::uint8_t {
  kPerInvocation,   // connect, run the commands, QUIT: the case's fix
  kLeakySingleton,  // a new client per invocation, never closed: the case's bug
  kPooled,          // one connection per container, reused across invocations
};

enum class ProfileKind : std::uint8_t { kConstant, kRamp, kLaunchEvent };

// What the invocations read: the case's hash (HGET/HSET of one hash), or the hot-key workload
// (GETs of a small Zipf-distributed key set while a writer updates the hottest keys).
enum class Workload : std::uint8_t { kHash, kHotKey };

std::string_view strategy_name(Strategy strategy);
std::optional<Strategy> parse_strategy(std::string_view name);
std::string_view profile_name(ProfileKind kind);
std::optional<ProfileKind> parse_profile(std::string_view name);
std::string_view workload_name(Workload workload);
std::optional<Workload> parse_workload(std::string_view name);

// What one invocation sends: `commands` commands on one hash, each an HSET with probability
// write_ratio and an HGET otherwise, on a field drawn from `fields` seeded ones.
struct CommandMix {
  int commands = 1;
  double write_ratio = 0;
  int value_size = 64;
  int fields = 1000;
  std::string key = "storm:users";
};

// The hot-key workload (issue #18 item 5): each of an invocation's `commands` is a GET of key
// prefix + rank, the rank drawn from Zipf(keys, zipf_s); one writer in the coordinator SETs the
// `written_keys` hottest keys in turn, write_rate times a second, each value carrying a new
// version, through the run's target or (direct_writer) straight to the backend.
struct HotKeyMix {
  int keys = 100;
  double zipf_s = 1.1;
  double write_rate = 20;
  int written_keys = 10;
  bool direct_writer = false;
  std::string prefix = "storm:hot:";
};
// The most reads one invocation reports for the stale-read check (its --commands bound).
inline constexpr int kMaxHotReads = 8;

// Hard bounds no flag can lift: they keep the tool from exhausting the machine it runs on.
inline constexpr int kMaxContainers = 1000;
inline constexpr int kMaxFdLimit = 4096;
inline constexpr double kMaxDurationS = 600;
inline constexpr std::uint64_t kMaxInvocations = 2'000'000;
inline constexpr std::uint64_t kMaxOpenConnections = 20'000;

struct Scenario {
  ProfileKind profile = ProfileKind::kLaunchEvent;
  Strategy strategy = Strategy::kPerInvocation;
  double duration_s = 30;
  double rate = 50;               // constant: invocations/s; ramp: the starting rate
  double rate_end = 500;          // ramp: the final rate
  int baseline_concurrency = 10;  // launch-event: concurrency before and after the spike
  int peak_concurrency = 300;     // launch-event: concurrency at the top of the spike
  int containers = 0;             // fleet size cap; 0 = derived from the profile
  int fd_limit = 1024;            // RLIMIT_NOFILE of each container, like a function sandbox
  int think_ms = 200;             // the handler's own work while it holds its Redis client
  int burst = 1;                  // arrivals come in waves of this many at one instant
  int timeout_ms = 2000;          // connect and each command
  int queue_timeout_ms = 2000;    // an arrival waiting longer for a free container is throttled
  int sample_ms = 250;            // INFO sampling period
  int bin_ms = 1000;              // report interval
  std::uint64_t max_invocations = 200'000;
  // Leaky runs: the run stops early once the fleet holds this many leaked connections.
  std::uint64_t max_open_connections = 16'000;
  std::uint64_t seed = 1;
  CommandMix mix;
  Workload workload = Workload::kHash;
  HotKeyMix hot;
};

// The containers a run may start: the flag if set, else enough for the profile's peak.
int effective_containers(const Scenario& scenario);
// Expected seconds one invocation keeps a container busy (think time + a small Redis share).
double expected_invocation_s(const Scenario& scenario);
// "" if the scenario is valid; otherwise one line naming the flag, the value and the limit.
std::string validate(const Scenario& scenario);

}  // namespace funnel::storm
