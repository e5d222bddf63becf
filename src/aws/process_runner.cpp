// run_process (credential_chain.hpp): the credential_process command, started with posix_spawnp
// (no shell), its standard output read through a pipe until it exits or the timeout passes.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "aws/credential_chain.hpp"

extern char** environ;

namespace funnel::aws {

namespace {

// Reads the child's output until end of file or `deadline`; false on timeout.
bool read_output(int fd, std::string& output, std::chrono::steady_clock::time_point deadline) {
  char chunk[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd waiting{.fd = fd, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return ready == 0 ? false : true;
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    // Beyond the cap the bytes are drained and dropped: the document is then refused as cut off.
    if (output.size() < kMaxBody) output.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  ProcessResult result;
  if (argv.empty()) return {.error = "the command is empty"};
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return {.error = std::string("pipe: ") + strerror(errno)};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return {.error = "cannot run " + argv[0] + ": " + strerror(spawned)};
  }
  const bool finished =
      read_output(pipe_fds[0], result.output, std::chrono::steady_clock::now() + timeout);
  ::close(pipe_fds[0]);
  if (!finished) ::kill(pid, SIGKILL);  // our own child, by its pid
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!finished) {
    result.error = argv[0] + " did not finish within " + std::to_string(timeout.count()) + " ms";
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else {
    result.error = argv[0] + " ended by signal " + std::to_string(WTERMSIG(status));
  }
  return result;
}

}  // namespace funnel::aws
