// Test fixtures (funnel::test): FunnelProcess, see funnel_process.hpp.
#include "support/funnel_process.hpp"

#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>

#include "support/net.hpp"
#include "support/wait.hpp"

namespace funnel::test {
namespace {

// The port of a --listen HOST:PORT (or --listen=HOST:PORT) in args, if present.
std::optional<std::uint16_t> listen_port_in(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string value;
    if (args[i] == "--listen" && i + 1 < args.size()) {
      value = args[i + 1];
    } else if (args[i].starts_with("--listen=")) {
      value = args[i].substr(9);
    } else {
      continue;
    }
    auto colon = value.rfind(':');
    if (colon == std::string::npos) break;
    return static_cast<std::uint16_t>(std::stoi(value.substr(colon + 1)));
  }
  return std::nullopt;
}

}  // namespace

std::string FunnelProcess::binary_path() {
  std::string path;
#ifdef FUNNEL_BINARY
  path = FUNNEL_BINARY;
#endif
  if (path.empty()) {
    const char* env = std::getenv("FUNNEL_BINARY");
    if (env != nullptr) path = env;
  }
  if (path.empty()) {
    throw std::runtime_error(
        "FunnelProcess: no funnel binary: the build has no 'funnel' target and the environment "
        "variable FUNNEL_BINARY is not set");
  }
  if (::access(path.c_str(), X_OK) != 0) {
    throw std::runtime_error("FunnelProcess: funnel binary '" + path +
                             "' is missing or not executable; build the 'funnel' target first");
  }
  return path;
}

std::unique_ptr<FunnelProcess> FunnelProcess::start(std::vector<std::string> args) {
  return start_binary(binary_path(), std::move(args));
}

std::unique_ptr<FunnelProcess> FunnelProcess::start_binary(std::string binary,
                                                           std::vector<std::string> args) {
  std::unique_ptr<FunnelProcess> funnel(new FunnelProcess(std::move(binary)));
  if (auto port = listen_port_in(args)) {
    std::string why = funnel->try_start(args, *port);
    if (!why.empty()) throw std::runtime_error(why);
    return funnel;
  }
  // We chose the port, so a lost race for it is ours to retry; any other failure is reported.
  std::string why;
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::uint16_t port = free_port();
    auto with_listen = args;
    with_listen.insert(with_listen.end(), {"--listen", "127.0.0.1:" + std::to_string(port)});
    why = funnel->try_start(with_listen, port);
    if (why.empty()) return funnel;
    if (funnel->log_text().find("in use") == std::string::npos) break;
  }
  throw std::runtime_error(why);
}

std::string FunnelProcess::try_start(std::vector<std::string> args, std::uint16_t port) {
  args_ = args;
  port_ = port;
  std::vector<std::string> argv = {binary_};
  argv.insert(argv.end(), args.begin(), args.end());
  // A fresh log per attempt: the failure message should show this attempt only.
  ::unlink(dir_.file("funnel.log").c_str());
  process_ = std::make_unique<ChildProcess>(argv, dir_.file("funnel.log"));
  bool settled = wait_until([&] { return !process_->alive() || port_accepts(port); }, 10s);
  if (settled && process_->alive()) return "";

  std::string command;
  for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
  std::string why =
      settled ? "exited with status " + std::to_string(*process_->exit_status())
              : "did not accept connections on port " + std::to_string(port) + " within 10 s";
  process_->stop(SIGKILL);
  return "FunnelProcess: '" + command + "' " + why + "; its output:\n" + log_text();
}

FunnelProcess::~FunnelProcess() {
  if (process_) process_->stop(SIGTERM);
}

int FunnelProcess::stop(int signal, std::chrono::milliseconds grace) {
  return process_->stop(signal, grace);
}

std::string FunnelProcess::log_text() const {
  return read_file(dir_.file("funnel.log"));
}

}  // namespace funnel::test
