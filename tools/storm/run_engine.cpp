// One run (see run_engine.hpp): arrivals -> queue -> idle containers (warm ones first, a cold
// start when none is idle), results -> RunRecorder, INFO samples alongside.
#include "storm/run_engine.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <deque>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "storm/arrival_profile.hpp"
#include "storm/container_fleet.hpp"
#include "storm/hot_key.hpp"
#include "storm/hot_writer.hpp"
#include "storm/info_fields.hpp"
#include "storm/metrics_scrape.hpp"
#include "storm/progress_line.hpp"
#include "storm/sampler.hpp"
#include "storm/staleness.hpp"

namespace funnel::storm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::optional<asio::ip::tcp::endpoint> endpoint_of(const std::optional<Endpoint>& e) {
  if (!e) return std::nullopt;
  return e->endpoint;
}

class RunEngine {
 public:
  RunEngine(const Scenario& scenario, const RunTarget& target, const EngineOptions& options)
      : scenario_(scenario),
        target_(target),
        arrivals_(ArrivalProfile::scenario_arrivals(scenario)),
        fleet_(io_, scenario_, target.target.endpoint,
               [this](int c, const ResultMessage& m, bool lost) { on_result(c, m, lost); }),
        sampler_(io_, endpoint_of(target.backend), endpoint_of(target.funnel)),
        recorder_(scenario.bin_ms / 1000.0),
        max_containers_(effective_containers(scenario)),
        progress_(target.path, scenario.duration_s, options.progress) {
    if (scenario.workload == Workload::kHotKey && target.writer) {
      writer_ = std::make_unique<HotWriter>(io_, scenario_, target.writer->endpoint);
    }
  }

  RunResult run();

 private:
  double now_s() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  asio::awaitable<void> main_task();
  asio::awaitable<void> release_arrivals();
  asio::awaitable<void> watch();
  asio::awaitable<void> sample_until_finished();
  void dispatch();
  bool start_container();
  void on_result(int container, const ResultMessage& message, bool lost);
  void record(std::uint32_t index, double queue_wait_s, double redis_ms, ErrorKind error);
  void expire_queue();
  void stop_early(std::string reason);
  // The hot-key workload: counters before the load, then after it, and the stale-read check.
  struct HotCounters {
    std::optional<std::int64_t> backend_reads;
    std::optional<double> coalesced, near_cache_hits;
  };
  asio::awaitable<HotCounters> hot_counters();
  void finish_hot(Totals& totals) const;
  bool finished() const { return releasing_done_ && queue_.empty() && busy_ == 0; }

  struct Slot {
    std::uint32_t index = 0;
    double dispatched_s = 0;
    std::uint32_t open_connections = 0;
    bool busy = false;
  };

  Scenario scenario_;
  RunTarget target_;
  asio::io_context io_{1};
  std::vector<double> arrivals_;
  ContainerFleet fleet_;
  Sampler sampler_;
  asio::signal_set signals_{io_, SIGINT, SIGTERM};
  RunRecorder recorder_;
  int max_containers_;
  ProgressLine progress_;
  Clock::time_point start_ = Clock::now();
  std::deque<std::uint32_t> queue_;
  std::vector<int> idle_;  // LIFO: the most recently used (warmest) container first
  std::vector<Slot> slots_;
  int busy_ = 0;
  std::uint64_t open_connections_ = 0;
  bool releasing_done_ = false;
  bool stopping_ = false;
  bool done_ = false;
  double end_s_ = 0;
  std::string stopped_early_;
  std::string error_;
  std::int64_t backend_maxclients_ = -1;
  std::optional<std::int64_t> backend_clients_;
  std::unique_ptr<HotWriter> writer_;
  std::vector<ReadObservation> hot_reads_;
  std::uint64_t unversioned_reads_ = 0;
  HotCounters hot_before_, hot_after_;
};

// Called before the first arrival and after the last invocation ended, so the blocking /metrics
// fetch (at most 2 s) holds up no invocation.
asio::awaitable<RunEngine::HotCounters> RunEngine::hot_counters() {
  HotCounters c;
  if (scenario_.workload != Workload::kHotKey) co_return c;
  c.backend_reads = co_await sampler_.backend_command_calls(kHotReadCommands);
  if (target_.funnel_admin) {
    if (auto text = fetch_funnel_metrics(target_.funnel_admin->endpoint, milliseconds(2000))) {
      c.coalesced = prometheus_sum(*text, "funnel_coalesced_requests_total");
      c.near_cache_hits = prometheus_sum(*text, "funnel_near_cache_hits_total");
    }
  }
  co_return c;
}

asio::awaitable<void> RunEngine::main_task() {
  if (error_ = co_await sampler_.connect(); !error_.empty()) {
    io_.stop();
    co_return;
  }
  backend_maxclients_ = co_await sampler_.backend_maxclients();
  if (writer_) {
    if (error_ = co_await writer_->seed(); !error_.empty()) {
      io_.stop();
      co_return;
    }
    asio::co_spawn(io_, writer_->run(), asio::detached);
  }
  hot_before_ = co_await hot_counters();
  start_ = Clock::now();
  recorder_.add_sample(co_await sampler_.sample(0, milliseconds(2000)));
  asio::co_spawn(io_, release_arrivals(), asio::detached);
  asio::co_spawn(io_, watch(), asio::detached);
  // Ctrl-C or SIGTERM ends the run like any early stop: what ran is still reported.
  signals_.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec && !stopping_) stop_early(std::string(kInterrupted));
  });
  co_await sample_until_finished();
  if (writer_) writer_->stop();
  hot_after_ = co_await hot_counters();
  fleet_.shutdown(milliseconds(3000));
  sampler_.close();
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  io_.stop();
}

asio::awaitable<void> RunEngine::release_arrivals() {
  SteadyTimer timer(io_);
  std::size_t next = 0;
  while (next < arrivals_.size() && !stopping_) {
    const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(arrivals_[next]));
    if (due > Clock::now()) {
      timer.expires_at(due);
      co_await timer.async_wait(asio::use_awaitable);
    }
    // Everything due by now, in one batch: timers are coarser than the arrival spacing.
    const double now = now_s();
    while (next < arrivals_.size() && arrivals_[next] <= now && !stopping_) {
      queue_.push_back(static_cast<std::uint32_t>(next++));
    }
    dispatch();
  }
  releasing_done_ = true;
}

// Queue expiry, the progress line and the hard deadline, every 50 ms.
asio::awaitable<void> RunEngine::watch() {
  SteadyTimer timer(io_);
  const double hard_deadline_s = scenario_.duration_s + scenario_.queue_timeout_ms / 1000.0 +
                                 (scenario_.mix.commands + 2) * scenario_.timeout_ms / 1000.0 +
                                 scenario_.think_ms / 1000.0 + 10;
  while (!done_) {
    timer.expires_after(milliseconds(50));
    co_await timer.async_wait(asio::use_awaitable);
    expire_queue();
    progress_.update(now_s(), recorder_.invocations(), recorder_.failed(), busy_, backend_clients_);
    if (now_s() > hard_deadline_s && !finished()) {
      stop_early(fmt::format("the hard deadline ({:.0f} s) passed with {} invocations in flight",
                             hard_deadline_s, busy_));
      for (auto& slot : slots_) {
        if (slot.busy) record(slot.index, 0, scenario_.timeout_ms, ErrorKind::kTimeout);
        slot.busy = false;
      }
      busy_ = 0;
    }
  }
}

asio::awaitable<void> RunEngine::sample_until_finished() {
  SteadyTimer timer(io_);
  const milliseconds timeout(std::min(2000, scenario_.sample_ms * 4));
  while (!finished()) {
    timer.expires_after(milliseconds(scenario_.sample_ms));
    co_await timer.async_wait(asio::use_awaitable);
    InfoSample sample = co_await sampler_.sample(now_s(), timeout);
    if (sample.connected_clients) backend_clients_ = sample.connected_clients;
    recorder_.add_sample(sample);
  }
  done_ = true;
  end_s_ = now_s();
  progress_.finish(now_s(), recorder_.invocations(), recorder_.failed(), backend_clients_);
}

bool RunEngine::start_container() {
  const int id = fleet_.start();
  if (id < 0) {
    stop_early("could not start another container (fork failed)");
    return false;
  }
  slots_.emplace_back();
  recorder_.note_container_started();
  idle_.push_back(id);
  return true;
}

void RunEngine::dispatch() {
  while (!queue_.empty() && !stopping_) {
    if (idle_.empty() && (fleet_.size() >= max_containers_ || !start_container())) return;
    const int container = idle_.back();
    idle_.pop_back();
    const std::uint32_t index = queue_.front();
    queue_.pop_front();
    const double now = now_s();
    if (!fleet_.send(container, index)) {
      record(index, now - arrivals_[index], 0, ErrorKind::kOther);  // the container died
      continue;
    }
    Slot& slot = slots_[static_cast<std::size_t>(container)];
    slot.index = index;
    slot.dispatched_s = now;
    slot.busy = true;
    recorder_.note_concurrency(now, ++busy_);
  }
}

void RunEngine::record(std::uint32_t index, double queue_wait_s, double redis_ms, ErrorKind error) {
  InvocationRecord r;
  r.arrival_s = arrivals_[index];
  r.end_s = now_s();
  r.latency_ms = queue_wait_s * 1000 + redis_ms;
  r.error = error;
  recorder_.add_invocation(r);
}

void RunEngine::on_result(int container, const ResultMessage& message, bool lost) {
  Slot& slot = slots_[static_cast<std::size_t>(container)];
  if (!slot.busy) return;  // already written off by the hard deadline
  slot.busy = false;
  const ErrorKind error = lost ? ErrorKind::kOther : static_cast<ErrorKind>(message.error);
  record(slot.index, slot.dispatched_s - arrivals_[slot.index], message.redis_us / 1000.0, error);
  for (std::uint8_t i = 0; !lost && i < message.reads && i < kMaxHotReads; ++i) {
    const HotRead& read = message.hot_reads[i];
    if (read.versioned == 0) {
      ++unversioned_reads_;
      continue;
    }
    hot_reads_.push_back(ReadObservation{read.key, read.version, read.start_ns});
  }
  const std::uint32_t open = lost ? 0 : message.open_connections;
  open_connections_ = open_connections_ + open - slot.open_connections;
  slot.open_connections = open;
  recorder_.note_container_connections(static_cast<int>(open));
  recorder_.note_concurrency(now_s(), --busy_);
  if (!lost) idle_.push_back(container);
  if (open_connections_ >= scenario_.max_open_connections && !stopping_) {
    stop_early(
        fmt::format("the containers hold {} open connections, the --max-open-connections "
                    "bound",
                    open_connections_));
  }
  dispatch();
}

void RunEngine::expire_queue() {
  const double now = now_s();
  const double limit = scenario_.queue_timeout_ms / 1000.0;
  while (!queue_.empty() && now - arrivals_[queue_.front()] > limit) {
    record(queue_.front(), now - arrivals_[queue_.front()], 0, ErrorKind::kThrottled);
    queue_.pop_front();
  }
}

void RunEngine::stop_early(std::string reason) {
  stopping_ = true;
  stopped_early_ = std::move(reason);
  queue_.clear();  // never started: not counted as invocations
  releasing_done_ = true;
}

RunResult RunEngine::run() {
  const double cpu_before = storm_cpu_seconds();
  asio::co_spawn(io_, main_task(), asio::detached);
  io_.run();
  fleet_.shutdown(milliseconds(1000));
  if (!error_.empty()) {
    throw std::runtime_error(fmt::format("cannot observe the {} run: {}", target_.path, error_));
  }
  RunResult result;
  result.path = target_.path;
  result.target = target_.target.text;
  result.backend = target_.backend ? target_.backend->text : "";
  result.strategy = scenario_.strategy;
  recorder_.finish(result);
  result.totals.wall_s = end_s_;
  result.totals.storm_cpu_s = storm_cpu_seconds() - cpu_before;
  result.totals.stopped_early = stopped_early_;
  result.totals.backend_maxclients = backend_maxclients_;
  finish_hot(result.totals);
  return result;
}

void RunEngine::finish_hot(Totals& totals) const {
  if (scenario_.workload != Workload::kHotKey) return;
  HotKeyTotals& hot = totals.hot;
  hot.enabled = true;
  hot.writer =
      target_.writer && target_.writer->text == target_.target.text ? target_.path : "direct";
  StalenessChecker checker(static_cast<std::uint32_t>(scenario_.hot.keys));
  if (writer_) {
    for (const auto& ack : writer_->acks()) checker.add_write(ack);
    hot.writes = writer_->acks().size();
    hot.write_errors = writer_->errors();
  }
  const StaleSummary stale = checker.check(hot_reads_);
  hot.reads = stale.checked + unversioned_reads_;
  hot.unversioned_reads = unversioned_reads_;
  hot.stale_reads = stale.stale;
  hot.max_staleness_ms = stale.max_staleness_ms;
  const auto delta = [](const auto& before, const auto& after) -> std::int64_t {
    if (!before || !after) return -1;
    return std::max<std::int64_t>(static_cast<std::int64_t>(*after - *before), 0);
  };
  hot.backend_reads = delta(hot_before_.backend_reads, hot_after_.backend_reads);
  hot.coalesced = delta(hot_before_.coalesced, hot_after_.coalesced);
  hot.near_cache_hits = delta(hot_before_.near_cache_hits, hot_after_.near_cache_hits);
  const auto share = [&](std::int64_t n, double of) {
    return n < 0 || of <= 0 ? -1.0 : static_cast<double>(n) / of;
  };
  hot.backend_commands_per_invocation =
      share(hot.backend_reads, static_cast<double>(totals.invocations));
  hot.coalesced_share = share(hot.coalesced, static_cast<double>(hot.reads));
  hot.near_cache_share = share(hot.near_cache_hits, static_cast<double>(hot.reads));
}

}  // namespace

RunResult run_storm(const Scenario& scenario, const RunTarget& target,
                    const EngineOptions& options) {
  RunEngine engine(scenario, target, options);
  return engine.run();
}

double storm_cpu_seconds() {
  auto seconds = [](const rusage& u) {
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  rusage self{}, children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  return seconds(self) + seconds(children);
}

}  // namespace funnel::storm
