// The coordinator's side of the containers (see container_fleet.hpp).
#include "storm/container_fleet.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "storm/container.hpp"

namespace funnel::storm {

ContainerFleet::ContainerFleet(asio::io_context& io, const Scenario& scenario,
                               asio::ip::tcp::endpoint target, ResultHandler on_result)
    : io_(io), scenario_(scenario), target_(std::move(target)), on_result_(std::move(on_result)) {}

ContainerFleet::~ContainerFleet() {
  shutdown(std::chrono::milliseconds(0));
}

int ContainerFleet::start() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
  const int id = size();
  ContainerSetup setup{id, sv[1], static_cast<int>(::getpid()), &scenario_, target_};
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return -1;
  }
  if (pid == 0) run_container(setup);
  ::close(sv[1]);
  Child child;
  child.pid = pid;
  child.channel = std::make_unique<asio::local::stream_protocol::socket>(io_);
  child.channel->assign(asio::local::stream_protocol(), sv[0]);
  containers_.push_back(std::move(child));
  asio::co_spawn(io_, read_results(id), asio::detached);
  return id;
}

asio::awaitable<void> ContainerFleet::read_results(int id) {
  boost::system::error_code ec;
  while (true) {
    ResultMessage result;
    // Index by id on each use: containers_ may grow (and move) while this coroutine waits.
    co_await asio::async_read(*containers_[static_cast<std::size_t>(id)].channel,
                              asio::buffer(&result, sizeof result),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (shut_down_) co_return;
    Child& child = containers_[static_cast<std::size_t>(id)];
    if (ec) {
      child.exited = true;
      if (child.busy) {
        child.busy = false;
        on_result_(id, ResultMessage{}, true);
      }
      co_return;
    }
    child.busy = false;
    on_result_(id, result, false);
  }
}

bool ContainerFleet::send(int container, std::uint32_t index) {
  Child& child = containers_[static_cast<std::size_t>(container)];
  if (child.exited) return false;
  const JobMessage job{index, JobKind::kInvoke};
  boost::system::error_code ec;
  asio::write(*child.channel, asio::buffer(&job, sizeof job), ec);
  if (ec) return false;
  child.busy = true;
  return true;
}

void ContainerFleet::shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  const JobMessage stop{0, JobKind::kShutdown};
  for (auto& child : containers_) {
    boost::system::error_code ec;
    asio::write(*child.channel, asio::buffer(&stop, sizeof stop), ec);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::size_t running = containers_.size();
  while (running > 0 && std::chrono::steady_clock::now() < deadline) {
    running = 0;
    for (auto& child : containers_) {
      if (child.pid > 0 && ::waitpid(child.pid, nullptr, WNOHANG) == 0) {
        ++running;
      } else {
        child.pid = -1;
      }
    }
    if (running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& child : containers_) {
    if (child.pid > 0) {
      ::kill(child.pid, SIGKILL);  // our own child, by its PID
      ::waitpid(child.pid, nullptr, 0);
      child.pid = -1;
    }
    boost::system::error_code ec;
    child.channel->close(ec);
  }
}

std::vector<pid_t> ContainerFleet::pids() const {
  std::vector<pid_t> out;
  for (const auto& child : containers_) {
    if (child.pid > 0) out.push_back(child.pid);
  }
  return out;
}

}  // namespace funnel::storm
