// Test fixtures (funnel::test): RedisServer, see redis_server.hpp.
#include "support/redis_server.hpp"

#include <signal.h>

#include <stdexcept>

#include "support/net.hpp"
#include "support/resp_connection.hpp"
#include "support/wait.hpp"

namespace funnel::test {

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {}

RedisServer::~RedisServer() {
  stop();
}

std::unique_ptr<RedisServer> RedisServer::start(std::vector<std::string> extra_args) {
  std::unique_ptr<RedisServer> server(new RedisServer(std::move(extra_args)));
  RedisServer* raw = server.get();
  if (!retry_with_free_port([raw](std::uint16_t port) { return raw->try_start(port); })) {
    throw std::runtime_error("RedisServer: redis-server did not start; its log:\n" + server->log());
  }
  return server;
}

std::unique_ptr<RedisServer> RedisServer::start_replica_of(std::uint16_t primary_port,
                                                           std::vector<std::string> extra_args) {
  extra_args.insert(extra_args.begin(), {"--replicaof", "127.0.0.1", std::to_string(primary_port)});
  auto replica = start(std::move(extra_args));
  replica->wait_for_primary_link();
  return replica;
}

bool RedisServer::try_start(std::uint16_t port) {
  std::vector<std::string> argv = {
      "redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
      "--appendonly", "no", "--daemonize", "no", "--dir", dir_.path(), "--enable-debug-command",
      "local",
      // Replicas sync at once instead of after Redis's default 5 s wait for more replicas.
      "--repl-diskless-sync-delay", "0"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<ChildProcess>(argv, dir_.file("redis.log"));
  port_ = port;
  // PING may legitimately fail for a moment (not listening yet); a dead process will not recover.
  bool ready = wait_until([&] { return !process_->alive() || answers_ping(port); }, 10s);
  if (ready && process_->alive()) return true;
  process_->stop(SIGKILL);
  return false;
}

pid_t RedisServer::pid() const {
  return running() ? process_->pid() : -1;
}

bool RedisServer::running() const {
  return process_ && process_->alive();
}

void RedisServer::stop() {
  if (process_) process_->stop(SIGTERM);
}

void RedisServer::restart() {
  stop();
  if (!try_start(port_)) {
    throw std::runtime_error("RedisServer: restart on port " + std::to_string(port_) +
                             " failed; its log:\n" + log());
  }
}

std::string RedisServer::log() const {
  return read_file(dir_.file("redis.log"));
}

void RedisServer::wait_for_primary_link() const {
  std::string info;
  bool up = wait_until(
      [&] {
        RespConnection conn(port_);
        auto reply = conn.command({"INFO", "replication"});
        info = reply.as_string().value_or("");
        return info.find("master_link_status:up") != std::string::npos;
      },
      10s);
  if (!up) {
    throw std::runtime_error("RedisServer: replica on port " + std::to_string(port_) +
                             " did not link to its primary in 10 s; INFO:\n" + info + "\nlog:\n" +
                             log());
  }
}

}  // namespace funnel::test
