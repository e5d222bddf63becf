// Process's side of a takeover (server/takeover.hpp). The new process: open_listeners() takes the
// running Funnel's sockets, finish_takeover() tells it to stop accepting once this one serves.
// The old process: listen_for_takeover() waits for a new one on server.takeover_socket,
// hand_over() stops every accept, spread_close_after_handover() closes the idle clients over
// server.takeover_drain_ms; SIGUSR2 starts `funnel --takeover` itself (the systemd recipe in
// docs/deployment.md: the new process is then in the service's cgroup and may claim MAINPID).
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <latch>
#include <thread>

#include <spdlog/spdlog.h>

#include "server/process.hpp"

extern char** environ;

namespace funnel::server {

void Process::open_listeners() {
  if (executable_.empty()) {
    std::error_code ec;
    executable_ = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  }
  if (!takeover_) {
    for (auto& worker : workers_) worker->open_listener();
    return;
  }
  const std::string path = takeover_socket_path(config_);
  if (path.empty()) {
    throw std::runtime_error(
        "--takeover needs server.takeover_socket (it is \"\"): set it to the running Funnel's");
  }
  takeover_client_ = std::make_unique<TakeoverClient>(path);  // throws: nothing to take over
  ListenerSet& taken = takeover_client_->sockets();
  if (std::string why = listener_mismatch(taken, config_); !why.empty()) {
    takeover_client_->refuse(why);
    throw std::runtime_error("--takeover refused: " + why + " (the running Funnel, process " +
                             std::to_string(takeover_client_->old_pid()) + ", serves on)");
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    int client_fd = i < taken.client.size() ? ListenerSet::release(taken.client[i]) : -1;
    int tls_fd = i < taken.tls.size() ? ListenerSet::release(taken.tls[i]) : -1;
    workers_[i]->adopt_listeners(client_fd, tls_fd);
  }
  spdlog::info("--takeover: serving on the listening sockets of process {} ({} client, {} TLS{})",
               takeover_client_->old_pid(), taken.client.size(), taken.tls.size(),
               taken.admin >= 0 ? ", admin" : "");
}

int Process::take_admin_fd() {
  return takeover_client_ ? ListenerSet::release(takeover_client_->sockets().admin) : -1;
}

void Process::finish_takeover() {
  if (!takeover_client_) return;
  if (!takeover_client_->confirm_serving()) {
    spdlog::warn("--takeover: process {} did not confirm that it stopped accepting; serving anyway",
                 takeover_client_->old_pid());
  }
  takeover_client_.reset();
}

void Process::listen_for_takeover(asio::io_context& io) {
  takeover_listener_ = std::make_unique<TakeoverListener>(
      io, takeover_socket_path(config_), [this] { return listeners_to_hand_over(); },
      [this] { hand_over(); },
      [this, &io] {
        handed_over_ = true;
        io.stop();  // run() goes on to the spread close
      });
  takeover_listener_->start(/*strict=*/!takeover_);
}

ListenerSet Process::listeners_to_hand_over() {
  ListenerSet set;
  set.owned = false;  // the acceptors keep them until hand_over()
  for (auto& worker : workers_) {
    set.client.push_back(worker->listener_fd());
    if (worker->tls_listener_fd() >= 0) set.tls.push_back(worker->tls_listener_fd());
  }
  if (admin_) set.admin = admin_->listener_fd();
  return set;
}

// Every worker stops accepting before the new process is told it may go on: from then on only
// the new one takes connections from the shared queues.
void Process::hand_over() {
  ready_ = false;
  std::latch stopped(static_cast<std::ptrdiff_t>(workers_.size()));
  for (auto& worker : workers_) worker->hand_over_listeners([&stopped] { stopped.count_down(); });
  stopped.wait();
  if (admin_) admin_->close_listener();
}

void Process::spread_close_after_handover(const std::function<bool()>& run_signals_for_100ms) {
  const auto window = std::chrono::milliseconds(config_.server.takeover_drain_ms);
  spdlog::info("handed over: closing idle clients over {} ms, then the rest", window.count());
  for (auto& worker : workers_) worker->begin_spread_close(window.count());
  const auto end = std::chrono::steady_clock::now() + window;
  // A little past the window, so the workers' last tick (the window's end) has run.
  while (std::chrono::steady_clock::now() < end + std::chrono::milliseconds(200)) {
    if (metrics::ProcessCounters::read(counters_.clients_connected) == 0) break;
    if (run_signals_for_100ms()) {
      spdlog::info("stop signal during the spread close: draining the remaining clients now");
      break;
    }
  }
}

// SIGUSR2: runs this binary (as it is on disk now: a package upgrade replaced it) with the same
// arguments and --takeover. The child is in this process's cgroup, so under systemd it may send
// MAINPID= (NotifyAccess=all) and the service follows it.
void Process::spawn_takeover() {
  if (spawned_ > 0 || handed_over_) {
    spdlog::warn("SIGUSR2: a takeover is already under way (process {}); ignored", spawned_);
    return;
  }
  std::vector<std::string> args = reload_args_;
  std::erase(args, std::string("--takeover"));
  if (args.empty()) args.push_back("funnel");
  args.push_back("--takeover");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // Only stdin/stdout/stderr: a client socket inherited by the child would outlive our close.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = -1;
  const int error =
      ::posix_spawn(&pid, executable_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    spdlog::error("SIGUSR2: cannot start {} --takeover: {}", executable_, std::strerror(error));
    return;
  }
  spawned_ = pid;
  spdlog::info("SIGUSR2: started {} --takeover as process {}", executable_, pid);
}

void Process::reap_takeover() {
  if (spawned_ <= 0) return;
  int status = 0;
  if (::waitpid(spawned_, &status, WNOHANG) != spawned_) return;
  spdlog::warn("the --takeover process {} exited ({} {}) without taking over; still serving",
               spawned_, WIFEXITED(status) ? "status" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  spawned_ = -1;
}

}  // namespace funnel::server
