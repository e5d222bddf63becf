// run_load(): one coroutine per client over a single io_context (see load_clients.hpp).
#include "load_clients.hpp"

#include <random>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "resp/reply_framer.hpp"
#include "support/resp_connection.hpp"

namespace funnel::test {
namespace {
namespace asio = boost::asio;
using asio::redirect_error;
using asio::use_awaitable;
using asio::ip::tcp;

struct Client {
  int index;
  const LoadOptions& options;
  LoadResult& result;
  std::mt19937 rng;
  tcp::socket socket;
  std::string in;
  std::size_t in_start = 0;

  void sample(const std::string& text) {
    if (result.samples.size() < 10) result.samples.push_back(text);
  }

  // Reads one complete reply's bytes; empty on EOF/error.
  asio::awaitable<std::string> read_reply() {
    resp::ReplyFramer framer;
    for (;;) {
      if (in_start < in.size()) {
        const std::string_view rest(in.data() + in_start, in.size() - in_start);
        const auto status = framer.frame(rest);
        if (status == resp::FrameStatus::kComplete) {
          std::string reply(rest.substr(0, framer.length()));
          in_start += framer.length();
          if (in_start == in.size()) in.clear(), in_start = 0;
          co_return reply;
        }
        if (status == resp::FrameStatus::kInvalid) co_return std::string();
      }
      char chunk[16384];
      boost::system::error_code ec;
      const std::size_t n =
          co_await socket.async_read_some(asio::buffer(chunk), redirect_error(use_awaitable, ec));
      if (ec) co_return std::string();
      in.append(chunk, n);
    }
  }

  asio::awaitable<bool> connect() {
    in.clear();
    in_start = 0;
    boost::system::error_code ec;
    socket = tcp::socket(socket.get_executor());
    co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), options.port},
                                  redirect_error(use_awaitable, ec));
    if (ec) {
      ++result.connect_failures;
      co_return false;
    }
    std::vector<std::vector<std::string>> setup;
    if (options.resp3 && !options.password.empty()) {
      setup.push_back({"HELLO", "3", "AUTH", "default", options.password});
    } else if (options.resp3) {
      setup.push_back({"HELLO", "3"});
    } else if (!options.password.empty()) {
      setup.push_back({"AUTH", options.password});
    }
    for (const auto& command : setup) {
      co_await asio::async_write(socket, asio::buffer(encode_command(command)),
                                 redirect_error(use_awaitable, ec));
      const std::string reply = co_await read_reply();
      if (ec || reply.empty() || reply[0] == '-') {
        sample("setup failed: " + printable(reply));
        ++result.connect_failures;
        co_return false;
      }
    }
    co_return true;
  }

  std::string value_for(int round, int i) const {
    std::string value = fmt::format("v{}:{}:{}:", index, round, i);
    if (value.size() < options.value_size) value.append(options.value_size - value.size(), 'x');
    return value;
  }

  void check(const std::string& reply, const std::string& expected) {
    if (reply == expected) {
      ++result.ok_replies;
    } else if (!reply.empty() && reply[0] == '-') {
      ++result.error_replies;
      sample("error: " + printable(reply));
    } else {
      ++result.mismatches;
      sample(fmt::format("client {} expected {} got {}", index, printable(expected),
                         printable(reply)));
    }
  }

  asio::awaitable<void> run(std::chrono::steady_clock::time_point deadline) {
    bool connected = co_await connect();
    std::bernoulli_distribution disconnect(options.disconnect_probability);
    const bool timed_run = options.run_for.count() > 0;
    const auto run_end = std::chrono::steady_clock::now() + options.run_for;
    for (int round = 0; (timed_run || round < options.rounds) && connected; ++round) {
      if (timed_run && std::chrono::steady_clock::now() >= run_end) break;
      if (std::chrono::steady_clock::now() > deadline) {
        result.timed_out = true;
        break;
      }
      std::string batch;
      for (int i = 0; i < options.pipeline; ++i) {
        // Keys repeat after 1,024 rounds (long timed runs stay small in Redis); values never do.
        const std::string key =
            fmt::format("{}:{}:{}:{}", options.key_prefix, index, round % 1024, i);
        batch += encode_command({"SET", key, value_for(round, i)});
        batch += encode_command({"GET", key});
      }
      boost::system::error_code ec;
      co_await asio::async_write(socket, asio::buffer(batch), redirect_error(use_awaitable, ec));
      if (!ec && disconnect(rng)) {
        // Leave mid-pipeline: Funnel must drop our replies, not hand them to someone else.
        ++result.dropped_connections;
        socket.close(ec);
        connected = co_await connect();
        continue;
      }
      for (int i = 0; i < options.pipeline && !ec; ++i) {
        const std::string set_reply = co_await read_reply();
        const std::string get_reply = co_await read_reply();
        if (set_reply.empty() || get_reply.empty()) {
          ++result.dropped_connections;
          connected = co_await connect();
          break;
        }
        check(set_reply, "+OK\r\n");
        const std::string value = value_for(round, i);
        check(get_reply, fmt::format("${}\r\n{}\r\n", value.size(), value));
      }
    }
    boost::system::error_code ignored;
    socket.close(ignored);
  }
};

}  // namespace

std::string LoadResult::summary() const {
  std::string text = fmt::format(
      "ok={} errors={} mismatches={} connect_failures={} dropped={} timed_out={}", ok_replies,
      error_replies, mismatches, connect_failures, dropped_connections, timed_out);
  for (const auto& s : samples) text += "\n  " + s;
  return text;
}

LoadResult run_load(const LoadOptions& options) {
  LoadResult result;
  asio::io_context io(1);
  std::vector<std::unique_ptr<Client>> clients;
  const auto deadline = std::chrono::steady_clock::now() + options.deadline;
  for (int i = 0; i < options.clients; ++i) {
    clients.push_back(
        std::unique_ptr<Client>(new Client{i,
                                           options,
                                           result,
                                           std::mt19937(static_cast<unsigned>(i * 7919 + 1)),
                                           tcp::socket(io),
                                           {},
                                           0}));
    asio::co_spawn(io, clients.back()->run(deadline), asio::detached);
  }
  io.run_for(options.deadline + std::chrono::seconds(5));
  if (!io.stopped()) result.timed_out = true;
  return result;
}

}  // namespace funnel::test
