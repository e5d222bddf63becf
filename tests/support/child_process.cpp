// Test fixtures (funnel::test): ChildProcess, see child_process.hpp.
#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "support/net.hpp"
#include "support/wait.hpp"

namespace funnel::test {

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw std::runtime_error("program '" + name +
                           "' not found in PATH (run scripts/install-deps.sh)");
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path)
    : log_path_(log_path) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  // Everything the child needs is prepared before fork: after fork in a threaded process only
  // async-signal-safe calls are allowed until exec.
  const std::string program = find_program(argv[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw_errno("ChildProcess: open " + log_path);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl took effect
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::setpgid(0, 0);  // a terminal's Ctrl-C meant for the test runner is not forwarded
    // An ignored SIGPIPE is inherited through exec: a runner that ignores it (some CI shells and
    // agents do) would hide a program's own SIGPIPE bug, which a user's shell does not. Every
    // child starts with the default action, as from a login shell.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &default_action, nullptr);
    ::execv(program.c_str(), args.data());
    static constexpr char kMsg[] = "ChildProcess: execv failed\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    ::_exit(127);
  }
  int saved = errno;
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (pid_ < 0) {
    errno = saved;
    throw_errno("ChildProcess: fork");
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) stop(SIGTERM);
}

void ChildProcess::reap(int wait_status) {
  if (WIFEXITED(wait_status)) {
    status_ = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    status_ = 128 + WTERMSIG(wait_status);
  }
}

bool ChildProcess::alive() {
  return !exit_status().has_value();
}

std::optional<int> ChildProcess::exit_status() {
  if (!status_ && pid_ > 0) {
    int wait_status = 0;
    if (::waitpid(pid_, &wait_status, WNOHANG) == pid_) reap(wait_status);
  }
  return status_;
}

void ChildProcess::signal(int signal) {
  if (alive()) ::kill(pid_, signal);
}

int ChildProcess::stop(int signal, std::chrono::milliseconds grace) {
  if (exit_status()) return *status_;
  ::kill(pid_, signal);
  if (!wait_until([&] { return !alive(); }, grace)) {
    ::kill(pid_, SIGKILL);
    int wait_status = 0;
    if (::waitpid(pid_, &wait_status, 0) == pid_) reap(wait_status);
  }
  return status_.value_or(-1);
}

}  // namespace funnel::test
