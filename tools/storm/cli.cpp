// funnel-storm's command line (see cli.hpp), with CLI11.
#include "storm/cli.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace funnel::storm {
namespace {

struct Names {
  std::string profile = "launch-event";
  std::string strategy = "per-invocation";
  std::string workload = "hash";
};

void add_target_flags(CLI::App& app, CliCommand& c, bool via_required) {
  app.add_option("--backend", c.backend, "Redis backend HOST:PORT (loopback unless --allow-remote)")
      ->required();
  auto* via = app.add_option("--via", c.via, "Funnel HOST:PORT in front of the backend");
  if (via_required) via->required();
  app.add_option("--out", c.out_dir, "directory for result.json and report.html")
      ->capture_default_str();
  app.add_flag("--allow-remote", c.allow_remote,
               "allow non-loopback targets (never point this at shared or production systems)");
  app.add_flag("--quiet", c.quiet, "no live progress line");
}

void add_command_flags(CLI::App& app, Scenario& s, CliCommand& c) {
  app.add_option("--commands", s.mix.commands, "commands per invocation")->capture_default_str();
  app.add_option("--write-ratio", s.mix.write_ratio, "share of commands that are HSET (0..1)")
      ->capture_default_str();
  app.add_option("--value-size", s.mix.value_size, "bytes per written/seeded value")
      ->capture_default_str();
  app.add_option("--fields", s.mix.fields, "fields in the seeded hash")->capture_default_str();
  app.add_option("--key", s.mix.key, "the hash the invocations read")->capture_default_str();
  app.add_option("--timeout-ms", s.timeout_ms, "connect and per-command timeout")
      ->capture_default_str();
  app.add_option("--seed", s.seed, "random seed (fields, write choices)")->capture_default_str();
  app.add_flag("!--no-seed-data", c.seed, "do not HSET the hash before the run");
}

void add_scenario_flags(CLI::App& app, Scenario& s, Names& names) {
  app.add_option("--scenario", names.profile,
                 "launch-event, constant, ramp, or probe (= the probe subcommand)")
      ->capture_default_str();
  app.add_option("--strategy", names.strategy, "per-invocation, leaky-singleton or pooled")
      ->capture_default_str();
  app.add_option("--duration", s.duration_s, "seconds of arrivals")->capture_default_str();
  app.add_option("--rate", s.rate, "constant: invocations/s; ramp: starting rate")
      ->capture_default_str();
  app.add_option("--rate-end", s.rate_end, "ramp: final invocations/s")->capture_default_str();
  app.add_option("--baseline-concurrency", s.baseline_concurrency,
                 "launch-event: concurrency before and after the spike")
      ->capture_default_str();
  app.add_option("--peak-concurrency", s.peak_concurrency,
                 "launch-event: concurrency at the spike's top")
      ->capture_default_str();
  app.add_option("--containers", s.containers, "most containers (0: from the profile's peak)")
      ->capture_default_str();
  app.add_option("--fd-limit", s.fd_limit, "RLIMIT_NOFILE per container")->capture_default_str();
  app.add_option("--think-ms", s.think_ms, "handler work while holding the Redis client")
      ->capture_default_str();
  app.add_option("--burst", s.burst,
                 "arrivals come in waves of N at one instant (cold starts after one event), "
                 "the profile's rate kept")
      ->capture_default_str();
  app.add_option("--queue-timeout-ms", s.queue_timeout_ms,
                 "an arrival waiting longer for a container is throttled")
      ->capture_default_str();
  app.add_option("--sample-ms", s.sample_ms, "INFO sampling period (100..1000)")
      ->capture_default_str();
  app.add_option("--bin-ms", s.bin_ms, "report interval")->capture_default_str();
  app.add_option("--max-invocations", s.max_invocations, "bound on invocations per run")
      ->capture_default_str();
  app.add_option("--max-open-connections", s.max_open_connections,
                 "leaky runs stop early once the fleet holds this many connections")
      ->capture_default_str();
}

// The hot-key workload (issue #18 item 5, docs/storm.md).
void add_workload_flags(CLI::App& app, Scenario& s, CliCommand& c, Names& names) {
  app.add_option("--workload", names.workload,
                 "hash (HGETs of one hash) or hot-key (GETs of a Zipf key set, a writer)")
      ->capture_default_str();
  app.add_option("--hot-keys", s.hot.keys, "hot-key: keys in the set")->capture_default_str();
  app.add_option("--zipf-s", s.hot.zipf_s, "hot-key: Zipf exponent of the reads")
      ->capture_default_str();
  app.add_option("--write-rate", s.hot.write_rate, "hot-key: writes/s by the writer")
      ->capture_default_str();
  app.add_option("--written-keys", s.hot.written_keys,
                 "hot-key: the writer cycles through this many hottest keys")
      ->capture_default_str();
  app.add_flag("--direct-writer", s.hot.direct_writer,
               "hot-key: the writer writes straight to --backend, also on the Funnel path");
  app.add_option("--hot-prefix", s.hot.prefix, "hot-key: key prefix (keys PREFIX0 ...)")
      ->capture_default_str();
  app.add_option("--funnel-admin", c.funnel_admin,
                 "Funnel's admin HOST:PORT: its /metrics gives the coalesced and cached shares");
}

void add_probe_flags(CLI::App& app, ProbeOptions& p) {
  app.add_option("--probe-start-rate", p.start_rate, "first step, new invocations/s")
      ->capture_default_str();
  app.add_option("--probe-growth", p.growth, "rate factor per step")->capture_default_str();
  app.add_option("--probe-max-rate", p.max_rate, "highest step")->capture_default_str();
  app.add_option("--probe-step-s", p.step_s, "seconds per step")->capture_default_str();
  app.add_option("--probe-containers", p.containers, "containers per step")->capture_default_str();
  app.add_option("--probe-p99-ms", p.limits.p99_ms, "a step fails above this p99")
      ->capture_default_str();
  app.add_option("--probe-max-error-rate", p.limits.max_error_rate,
                 "a step fails above this failed share")
      ->capture_default_str();
}

// "" or the usage error.
std::string finish(CliCommand& c, const Names& names) {
  // `--scenario probe` on run or compare is the probe subcommand with its default steps.
  if (names.profile == "probe") c.mode = CliCommand::Mode::kProbe;
  const auto profile =
      names.profile == "probe" ? ProfileKind::kConstant : parse_profile(names.profile);
  if (!profile) {
    return fmt::format("--scenario '{}' is unknown: use launch-event, constant, ramp or probe",
                       names.profile);
  }
  const auto strategy = parse_strategy(names.strategy);
  if (!strategy) {
    return fmt::format("--strategy '{}' is unknown: use per-invocation, leaky-singleton or pooled",
                       names.strategy);
  }
  const auto workload = parse_workload(names.workload);
  if (!workload) {
    return fmt::format("--workload '{}' is unknown: use hash or hot-key", names.workload);
  }
  c.scenario.workload = *workload;
  c.scenario.profile = *profile;
  c.scenario.strategy = *strategy;
  if (auto error = validate(c.scenario); !error.empty()) return error;
  if (c.mode == CliCommand::Mode::kProbe) return validate(c.probe);
  return "";
}

}  // namespace

CliCommand parse_cli(int argc, char** argv) {
  CliCommand c;
  Names names;
  CLI::App app{
      "funnel-storm: reproduce a serverless connection storm against Redis, directly "
      "and through Funnel, and report it (docs/storm.md)"};
  app.set_version_flag("--version", FUNNEL_STORM_VERSION);
  app.require_subcommand(1);
  auto* run = app.add_subcommand("run", "one run: against --backend, or through --via if given");
  auto* compare =
      app.add_subcommand("compare", "the same scenario directly and through Funnel, one report");
  auto* probe = app.add_subcommand(
      "probe", "raise the rate of new short-lived invocations until p99 or errors cross a limit");
  for (auto* sub : {run, compare, probe}) {
    add_target_flags(*sub, c, sub == compare);
    add_command_flags(*sub, c.scenario, c);
  }
  for (auto* sub : {run, compare}) {
    add_scenario_flags(*sub, c.scenario, names);
    add_workload_flags(*sub, c.scenario, c, names);
  }
  add_probe_flags(*probe, c.probe);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    c.exit_code = app.exit(e);
    return c;
  }
  c.mode = run->parsed()       ? CliCommand::Mode::kRun
           : compare->parsed() ? CliCommand::Mode::kCompare
                               : CliCommand::Mode::kProbe;
  if (auto error = finish(c, names); !error.empty()) {
    std::fprintf(stderr, "funnel-storm: %s\n", error.c_str());
    c.mode = CliCommand::Mode::kExit;
    c.exit_code = 2;
  }
  return c;
}

}  // namespace funnel::storm
