// Carrying out run, compare and probe (see commands.hpp).
#include "storm/commands.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "storm/backend_setup.hpp"
#include "storm/run_engine.hpp"
#include "storm/storm_report.hpp"

namespace funnel::storm {
namespace {

struct Targets {
  Endpoint backend;
  std::optional<Endpoint> via;
  std::optional<Endpoint> funnel_admin;
  bool direct_writer = false;
};

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The coordinator holds one channel per container: lift its own soft limit to the hard one.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

RunTarget direct_target(const Targets& t) {
  return RunTarget{"direct", t.backend, t.backend, {}, t.backend, {}};
}
// The hot-key writer goes through Funnel too unless --direct-writer.
RunTarget funnel_target(const Targets& t) {
  return RunTarget{"funnel",      *t.via, t.backend, *t.via, t.direct_writer ? t.backend : *t.via,
                   t.funnel_admin};
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
}

void run_compare(const CliCommand& c, const Targets& t, const EngineOptions& engine,
                 StormReport& report) {
  report.runs.push_back(run_storm(c.scenario, direct_target(t), engine));
  if (report.runs.back().totals.stopped_early == kInterrupted) return;
  // The direct run's leftovers (connections the backend has not yet noticed closing) must not
  // count against the Funnel run: wait for the count to return to where it started.
  const auto& samples = report.runs.front().series.backend_connections;
  const std::int64_t baseline = samples.empty() || std::isnan(samples.front())
                                    ? 1
                                    : static_cast<std::int64_t>(samples.front());
  wait_for_clients_at_most(t.backend.endpoint, baseline, std::chrono::seconds(15));
  report.runs.push_back(run_storm(c.scenario, funnel_target(t), engine));
}

StormReport run_command(const CliCommand& c, const Targets& t) {
  const EngineOptions engine{!c.quiet};
  StormReport report;
  report.version = FUNNEL_STORM_VERSION;
  report.started_at = utc_now();
  report.scenario = c.scenario;
  // The hot-key workload seeds its keys through its writer at the start of each run.
  if (c.seed && c.scenario.workload == Workload::kHash)
    seed_hash(t.backend.endpoint, c.scenario.mix);
  switch (c.mode) {
    case CliCommand::Mode::kRun:
      report.mode = "run";
      report.runs.push_back(
          run_storm(c.scenario, t.via ? funnel_target(t) : direct_target(t), engine));
      break;
    case CliCommand::Mode::kCompare:
      report.mode = "compare";
      run_compare(c, t, engine, report);
      break;
    case CliCommand::Mode::kProbe:
      report.mode = "probe";
      report.probes.push_back(run_probe(c.scenario, direct_target(t), c.probe, engine));
      if (t.via && !report.probes.back().interrupted) {
        report.probes.push_back(run_probe(c.scenario, funnel_target(t), c.probe, engine));
      }
      break;
    case CliCommand::Mode::kExit:
      break;
  }
  return report;
}

}  // namespace

int execute(const CliCommand& c) {
  Targets targets;
  try {
    targets.backend = resolve_endpoint("backend", c.backend, c.allow_remote);
    if (!c.via.empty()) targets.via = resolve_endpoint("via", c.via, c.allow_remote);
    if (!c.funnel_admin.empty()) {
      targets.funnel_admin = resolve_endpoint("funnel-admin", c.funnel_admin, c.allow_remote);
    }
    targets.direct_writer = c.scenario.hot.direct_writer;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "funnel-storm: %s\n", e.what());
    return 2;
  }
  raise_descriptor_limit();
  try {
    const std::filesystem::path out(c.out_dir);
    std::filesystem::create_directories(out);
    const StormReport report = run_command(c, targets);
    write_file(out / "result.json", report_json(report));
    write_file(out / "report.html", report_html(report));
    std::printf("\n%s\n", summary_table(report).c_str());
    const auto absolute = std::filesystem::absolute(out);
    std::printf("report: %s\nresult: %s\n", (absolute / "report.html").c_str(),
                (absolute / "result.json").c_str());
    std::fflush(stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "funnel-storm: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace funnel::storm
