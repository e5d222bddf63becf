// funnel-storm's run parameters: names, derived values and validation (see scenario.hpp).
#include "storm/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

namespace funnel::storm {

std::string_view strategy_name(Strategy strategy) {
  switch (strategy) {
    case Strategy::kPerInvocation:
      return "per-invocation";
    case Strategy::kLeakySingleton:
      return "leaky-singleton";
    case Strategy::kPooled:
      return "pooled";
  }
  return "?";
}

std::optional<Strategy> parse_strategy(std::string_view name) {
  for (auto s : {Strategy::kPerInvocation, Strategy::kLeakySingleton, Strategy::kPooled}) {
    if (strategy_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view profile_name(ProfileKind kind) {
  switch (kind) {
    case ProfileKind::kConstant:
      return "constant";
    case ProfileKind::kRamp:
      return "ramp";
    case ProfileKind::kLaunchEvent:
      return "launch-event";
  }
  return "?";
}

std::optional<ProfileKind> parse_profile(std::string_view name) {
  for (auto k : {ProfileKind::kConstant, ProfileKind::kRamp, ProfileKind::kLaunchEvent}) {
    if (profile_name(k) == name) return k;
  }
  return std::nullopt;
}

std::string_view workload_name(Workload workload) {
  return workload == Workload::kHotKey ? "hot-key" : "hash";
}

std::optional<Workload> parse_workload(std::string_view name) {
  for (auto w : {Workload::kHash, Workload::kHotKey}) {
    if (workload_name(w) == name) return w;
  }
  return std::nullopt;
}

double expected_invocation_s(const Scenario& scenario) {
  // Two milliseconds for connect + commands on loopback; think time dominates by design.
  return scenario.think_ms / 1000.0 + 0.002 * scenario.mix.commands;
}

int effective_containers(const Scenario& scenario) {
  if (scenario.containers > 0) return scenario.containers;
  double peak = 0;
  switch (scenario.profile) {
    case ProfileKind::kLaunchEvent:
      peak = scenario.peak_concurrency;
      break;
    case ProfileKind::kConstant:
      peak = scenario.rate * expected_invocation_s(scenario);
      break;
    case ProfileKind::kRamp:
      peak = std::max(scenario.rate, scenario.rate_end) * expected_invocation_s(scenario);
      break;
  }
  // Headroom for jitter: an arrival that finds every container busy waits in the queue.
  const int wanted = static_cast<int>(std::ceil(peak * 1.1 - 1e-9)) + 2;
  return std::clamp(wanted, 1, kMaxContainers);
}

namespace {

std::string check_range(std::string_view flag, double value, double low, double high) {
  if (value >= low && value <= high) return "";
  return fmt::format("--{} {} is out of range: use a value from {} to {}", flag, value, low, high);
}

}  // namespace

namespace {

std::string validate_hot_key(const Scenario& s) {
  if (s.workload != Workload::kHotKey) return "";
  const std::string checks[] = {
      check_range("hot-keys", s.hot.keys, 1, 100000),
      check_range("zipf-s", s.hot.zipf_s, 0, 10),
      check_range("write-rate", s.hot.write_rate, 0, 10000),
      check_range("written-keys", s.hot.written_keys, 1, s.hot.keys),
      check_range("commands", s.mix.commands, 1, kMaxHotReads),
      check_range("value-size", s.mix.value_size, 1, 1 << 16),
  };
  for (const auto& error : checks) {
    if (!error.empty()) return error;
  }
  if (s.hot.prefix.empty()) return "--hot-prefix must not be empty";
  return "";
}

}  // namespace

std::string validate(const Scenario& s) {
  const std::string checks[] = {
      check_range("duration", s.duration_s, 0.5, kMaxDurationS),
      check_range("rate", s.rate, 0, 100000),
      check_range("rate-end", s.rate_end, 0, 100000),
      check_range("baseline-concurrency", s.baseline_concurrency, 0, kMaxContainers),
      check_range("peak-concurrency", s.peak_concurrency, 1, kMaxContainers),
      check_range("containers", s.containers, 0, kMaxContainers),
      check_range("fd-limit", s.fd_limit, 16, kMaxFdLimit),
      check_range("think-ms", s.think_ms, 0, 60000),
      check_range("burst", s.burst, 1, kMaxContainers),
      check_range("timeout-ms", s.timeout_ms, 10, 60000),
      check_range("queue-timeout-ms", s.queue_timeout_ms, 0, 60000),
      check_range("sample-ms", s.sample_ms, 100, 1000),
      check_range("bin-ms", s.bin_ms, 100, 60000),
      check_range("max-invocations", static_cast<double>(s.max_invocations), 1, kMaxInvocations),
      check_range("max-open-connections", static_cast<double>(s.max_open_connections), 1,
                  kMaxOpenConnections),
      check_range("commands", s.mix.commands, 1, 100),
      check_range("write-ratio", s.mix.write_ratio, 0, 1),
      check_range("value-size", s.mix.value_size, 1, 1 << 20),
      check_range("fields", s.mix.fields, 1, 1'000'000),
  };
  for (const auto& error : checks) {
    if (!error.empty()) return error;
  }
  if (s.profile == ProfileKind::kLaunchEvent && s.baseline_concurrency > s.peak_concurrency) {
    return "--baseline-concurrency must not exceed --peak-concurrency";
  }
  if (s.mix.key.empty()) return "--key must not be empty";
  return validate_hot_key(s);
}

}  // namespace funnel::storm
