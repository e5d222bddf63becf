// Test fixtures (funnel::test): the real funnel binary as a child process, on a free loopback
// port, for integration and end-to-end tests.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace funnel::test {

class FunnelProcess {
 public:
  // Starts funnel with args (e.g. {"--backend", "127.0.0.1:1234"}). Unless args contain --listen,
  // adds --listen 127.0.0.1:<free port> (and retries with another port if funnel reports the
  // address in use). Returns once the listen port accepts connections (deadline 10 s); throws
  // with funnel's output if the process exits first or the deadline passes.
  static std::unique_ptr<FunnelProcess> start(std::vector<std::string> args);
  // The same with another binary that takes funnel's --listen (an older build, a stand-in).
  static std::unique_ptr<FunnelProcess> start_binary(std::string binary,
                                                     std::vector<std::string> args);
  // The binary under test: FUNNEL_BINARY from the build (the funnel target), else the
  // environment variable FUNNEL_BINARY. Throws if neither names an executable file.
  static std::string binary_path();
  // Stops with SIGTERM (SIGKILL after 10 s) if still running.
  ~FunnelProcess();
  FunnelProcess(const FunnelProcess&) = delete;
  FunnelProcess& operator=(const FunnelProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return process_->pid(); }
  bool alive() { return process_->alive(); }
  // Sends signal, waits up to grace for exit (then SIGKILL) and returns the exit status: the
  // exit code, or 128 + signal if a signal ended it. Repeated calls return the same status.
  int stop(int signal = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Sends a signal without waiting (SIGHUP for a reload, say).
  void signal(int signal) { process_->signal(signal); }
  // Everything funnel wrote to stdout and stderr so far.
  std::string log_text() const;
  const std::string& log_path() const { return process_->log_path(); }
  // The arguments funnel was started with (including an added --listen).
  const std::vector<std::string>& args() const { return args_; }

 private:
  explicit FunnelProcess(std::string binary) : binary_(std::move(binary)) {}
  // "" when ready; otherwise why not (exit status, timeout).
  std::string try_start(std::vector<std::string> args, std::uint16_t port);

  std::string binary_;
  TempDir dir_{"funnel-proc"};
  std::vector<std::string> args_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace funnel::test
