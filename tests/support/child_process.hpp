// Test fixtures (funnel::test): one child process (redis-server, funnel) started with fork/exec,
// its output in a log file, stopped by its own PID and nothing else.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace funnel::test {

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH unless it contains '/') with stdin from /dev/null and
  // stdout + stderr appended to log_path. The child gets SIGKILL if the thread that started it
  // exits (PR_SET_PDEATHSIG), so a test binary killed by a ctest timeout leaves no servers
  // behind: start children from the test's main thread. Throws if the program is not found.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  // Stops the process (SIGTERM, then SIGKILL after 10 s) if still running.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // Reaps the process if it has exited; false once it has.
  bool alive();
  // The exit status once the process has ended: its exit code, or 128 + signal number if a
  // signal ended it (the shell's convention). nullopt while it runs.
  std::optional<int> exit_status();
  // Sends signal to the process and waits up to grace for it to end; then SIGKILL and wait.
  // Returns the exit status as above. Calling it again returns the same status.
  int stop(int signal, std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Sends a signal without waiting (e.g. SIGHUP to reload).
  void signal(int signal);

 private:
  void reap(int wait_status);

  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> status_;
};

// Resolves a program name through PATH; returns it unchanged if it contains '/'. Throws if not
// found.
std::string find_program(const std::string& name);

}  // namespace funnel::test
