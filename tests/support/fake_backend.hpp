// Test fixtures (funnel::test): an in-process, scripted Redis-speaking server on a free loopback
// port, for the cases a real redis-server cannot produce on demand: a reply split at a chosen
// byte, a late reply, a silent hang, a dropped connection, a reply out of the ordinary.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace funnel::test {

struct FakeBackendOptions {
  // Answer HELLO, AUTH, CLIENT SETNAME, PING, COMMAND, INFO and SELECT without asking the
  // handler (see fake_backend_replies.hpp). false: the handler sees every command.
  bool answer_handshake = true;
  // Non-empty: like requirepass, AUTH/HELLO AUTH must give it; other commands get -NOAUTH.
  std::string password;
  // Non-empty: HELLO's reply ends with availability_zone, as Valkey 8.1+ with availability-zone
  // configured answers (issue #19).
  std::string hello_zone;
};

class FakeBackend {
 public:
  // What to do with one request. Steps run in order, per connection in request order: like a real
  // server, a delayed or hanging reply holds back every later reply on its connection (replies
  // on other connections are not affected).
  struct Action {
    enum class StepKind : std::uint8_t { kSend, kHang, kClose };
    struct Step {
      StepKind kind = StepKind::kSend;
      std::string bytes;                   // kSend: written as they are, no framing added
      std::chrono::milliseconds delay{0};  // after the previous step (or the request's arrival)
    };
    std::vector<Step> steps;
    bool builtin = false;

    // Sends raw RESP bytes, e.g. "+OK\r\n" or "-MOVED 3999 127.0.0.1:7001\r\n".
    static Action reply(std::string raw);
    static Action reply_after(std::chrono::milliseconds delay, std::string raw);
    // Sends raw[0, split_at), waits pause, then sends the rest.
    static Action reply_split(std::string raw, std::size_t split_at,
                              std::chrono::milliseconds pause);
    // Never replies; the connection's later replies are never sent either.
    static Action hang();
    // Closes the connection (after the replies before it have been written).
    static Action close();
    // The built-in answer: the handshake replies, or Redis's "unknown command" error.
    static Action default_reply();
    // Appends next's steps: reply("+OK\r\n").then(close()).
    Action then(Action next) &&;
  };
  // Runs on the backend's own thread, in arrival order; connection_index counts accepted
  // connections from 0. Must not block (use reply_after for slow replies); an exception it
  // throws becomes an "-ERR fake backend handler threw: ..." reply.
  using Handler = std::function<Action(const std::vector<std::string>& args, int connection_index)>;
  struct Request {
    int connection = 0;
    std::vector<std::string> args;
  };
  using Options = FakeBackendOptions;

  // Listens on 127.0.0.1:<kernel-chosen port> and serves on a new thread. Without a handler,
  // non-handshake commands get "-ERR unknown command".
  static std::unique_ptr<FakeBackend> start(Handler handler = {}, Options options = {});
  ~FakeBackend();
  FakeBackend(const FakeBackend&) = delete;
  FakeBackend& operator=(const FakeBackend&) = delete;

  std::uint16_t port() const { return port_; }
  // Closes the listener and every connection and joins the thread. Idempotent.
  void stop();
  // Closes every open connection now, as a crashed backend would; keeps listening.
  void close_connections();
  void set_handler(Handler handler);

  // Thread-safe observers (copies).
  std::vector<Request> requests() const;
  std::size_t request_count() const;
  int connections_accepted() const;
  int open_connections() const;
  // The name each connection set with CLIENT SETNAME or HELLO SETNAME ("" if none), by index.
  std::vector<std::string> client_names() const;
  // Wait (deadline) until at least n requests / n accepted connections; false on timeout.
  bool wait_for_requests(std::size_t n,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  bool wait_for_connections(int n,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  struct Connection;  // per-connection state, defined in fake_backend.cpp

 private:
  FakeBackend(Handler handler, Options options);
  void run();
  void accept_all();
  bool read_from(Connection& conn);  // false: close it
  void handle_request(Connection& conn, std::vector<std::string> args);
  bool advance(Connection& conn);  // runs due steps and writes; false: close it
  int poll_timeout_ms() const;

  Options options_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::vector<std::unique_ptr<Connection>> connections_;  // backend thread only

  mutable std::mutex mutex_;  // guards everything below
  mutable std::condition_variable changed_;
  Handler handler_;
  std::vector<Request> requests_;
  std::vector<std::string> names_;
  int accepted_ = 0;
  int open_ = 0;
  bool stopping_ = false;
  bool drop_connections_ = false;
};

}  // namespace funnel::test
