// Hostile and broken clients on the input side (issue #14, items 1, 3, 5 and 11): a client that
// closes mid-request, announces huge lengths, trickles a huge request or sends more than a
// million arguments must cost Funnel only what it actually sent, and never hurt the others.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "harness.hpp"

namespace funnel::test {
namespace {

constexpr const char* kPassword = "hostile-input-pw";

// Opens a connection, sends `bytes` and closes it (or only half-closes it) at once.
void send_and_close(std::uint16_t port, std::string_view bytes, bool half_close = false) {
  const int fd = connect_loopback(port);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
  if (half_close) ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

// Everything the peer sends until it closes (or the deadline passes: then "<timeout>" follows).
std::string read_until_closed(int fd, std::chrono::milliseconds timeout = 5s) {
  const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return got;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? got + "<timeout>" : got;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got + "<timeout>";
}

std::string many_args(std::size_t n) {
  std::string out;
  out.reserve(n * 7);
  for (std::size_t i = 0; i < n; ++i) out += "$1\r\nx\r\n";
  return out;
}

class HostileInputTest : public ProxyFixture {
 protected:
  std::string write_config(const std::string& text) {
    const std::string path = dir_.path() + "/funnel.toml";
    std::ofstream(path) << text;
    return path;
  }
  std::string password_file() {
    const std::string path = dir_.path() + "/client.pass";
    std::ofstream(path) << kPassword << "\n";
    return path;
  }
  // The descriptors Funnel holds with `control` its only client, once every shared backend link
  // is up: a link still connecting at start (or reopened on a worker's first request after a
  // failed first connect) would otherwise count as a descriptor a hostile client left behind. A
  // CI run under load saw exactly that: one socket more, opened while the hostile client was
  // connected, with only one of the two shared links up when the idle count was taken.
  std::size_t idle_descriptors(RespConnection& control) {
    EXPECT_TRUE(wait_until([&] {
      return funnel_info(control, "funnel_backend_links_ready") >=
             funnel_info(control, "funnel_connections_per_node");
    })) << "backend links never all came up";
    return open_descriptors(funnel_->pid());
  }
  // True once only `expected` clients are connected and the descriptors are back to `fds`.
  bool back_to_idle(RespConnection& control, long long expected, std::size_t fds) {
    return wait_until([&] {
      return funnel_info(control, "funnel_connected_clients") == expected &&
             open_descriptors(funnel_->pid()) <= fds;
    });
  }
  TempDir dir_{"funnel-hostile"};
};

// Item 1: the FIN arrives with the partial request (one readiness edge for both); the short read
// that drained the data must not lose it. 50 such clients in turn against 20 slots.
TEST_F(HostileInputTest, PartialRequestThenCloseFreesTheSlotAtOnce) {
  start({"--max-clients", "20", "--workers", "1"});
  RespConnection control(funnel_->port());
  ASSERT_EQ(control.command({"PING"}).str, "PONG");
  const std::size_t idle_fds = idle_descriptors(control);
  for (int i = 0; i < 50; ++i) {
    send_and_close(funnel_->port(), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc");
    send_and_close(funnel_->port(), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc", true);
  }
  EXPECT_TRUE(back_to_idle(control, 1, idle_fds))
      << "clients " << funnel_info(control, "funnel_connected_clients") << ", descriptors "
      << open_descriptors(funnel_->pid()) << " (idle " << idle_fds << ")";
  RespConnection normal(funnel_->port());
  EXPECT_EQ(normal.command({"PING"}).str, "PONG");
}

// Item 1, Redis's behaviour for `printf 'SET a 1\r\nGET a\r\n' | nc -N`: every request read
// before the end of input is answered, then the connection is closed. The pipeline is longer
// than max_pipeline_per_client: reading pauses and resumes on the way to the EOF.
TEST_F(HostileInputTest, HalfCloseAfterRequestsGetsEveryReplyThenEof) {
  start({"--config", write_config("[limits]\nmax_pipeline_per_client = 16\n")});
  const std::string inline_requests = "SET a 1\r\nGET a\r\n";
  std::string pipeline;
  std::string expected_pipeline;
  for (int i = 0; i < 300; ++i) {
    pipeline += encode_command({"SET", "p" + std::to_string(i), std::to_string(i)});
    pipeline += encode_command({"GET", "p" + std::to_string(i)});
    const std::string value = std::to_string(i);
    expected_pipeline += "+OK\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  }
  for (const std::uint16_t port : {redis_->port(), funnel_->port()}) {
    SCOPED_TRACE(port == redis_->port() ? "redis-server" : "funnel");
    for (const std::string* bytes :
         {&inline_requests, static_cast<const std::string*>(&pipeline)}) {
      const int fd = connect_loopback(port);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(::send(fd, bytes->data(), bytes->size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(bytes->size()));
      ::shutdown(fd, SHUT_WR);
      const std::string got = read_until_closed(fd);
      ::close(fd);
      EXPECT_EQ(printable(got),
                printable(bytes == &pipeline ? expected_pipeline : "+OK\r\n$1\r\n1\r\n"));
    }
  }
}

// Item 1 while the AUTH throttle pauses reading: a burst of wrong passwords then a close must
// not keep the connection (and its slot) for the length of the delays.
TEST_F(HostileInputTest, CloseDuringAnAuthDelayFreesTheSlotAtOnce) {
  start({"--max-clients", "20", "--workers", "1", "--requirepass-file", password_file()});
  RespConnection control(funnel_->port());
  ASSERT_EQ(control.command({"AUTH", kPassword}).str, "OK");
  const std::size_t idle_fds = idle_descriptors(control);
  std::string guesses;
  for (int i = 0; i < 12; ++i) guesses += encode_command({"AUTH", "guess" + std::to_string(i)});
  guesses += "*2\r\n$3\r\nGET\r\n$1\r\n";
  // Half of them only half-close and keep their socket: replies can still be written to them, so
  // only noticing the FIN frees them. The others close (a reply written then meets a reset).
  std::vector<int> half_closed;
  for (int i = 0; i < 30; ++i) {
    if (i % 2 == 1) {
      send_and_close(funnel_->port(), guesses);
      continue;
    }
    half_closed.push_back(connect_loopback(funnel_->port()));
    ASSERT_GE(half_closed.back(), 0);
    ASSERT_EQ(::send(half_closed.back(), guesses.data(), guesses.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(guesses.size()));
    ::shutdown(half_closed.back(), SHUT_WR);
  }
  // The delays add up to over ten seconds per connection; closing must not wait for them.
  EXPECT_TRUE(back_to_idle(control, 1, idle_fds))
      << "clients " << funnel_info(control, "funnel_connected_clients") << ", descriptors "
      << open_descriptors(funnel_->pid()) << " (idle " << idle_fds << ")";
  RespConnection normal(funnel_->port());
  EXPECT_EQ(normal.command({"AUTH", kPassword}).str, "OK");
  EXPECT_EQ(normal.command({"PING"}).str, "PONG");
  for (const int fd : half_closed) ::close(fd);
}

// Item 1 while backpressure pauses reading: a client that stops reading its replies, then sends
// half a request and half-closes, is closed (Redis frees a client as soon as it reads EOF).
TEST_F(HostileInputTest, HalfCloseWhilePausedByBackpressureClosesAtOnce) {
  start({"--config", write_config("[limits]\nclient_output_soft_bytes = \"64kb\"\n"
                                  "client_output_hard_bytes = \"1gb\"\n")});
  RespConnection control(funnel_->port());
  ASSERT_EQ(control.command({"SET", "big", std::string(256 * 1024, 'v')}).str, "OK");
  const std::size_t idle_fds = idle_descriptors(control);
  const std::string idle_list = describe_descriptors(funnel_->pid());
  const long long idle_buffers = funnel_info(control, "funnel_client_buffer_bytes");
  const int fd = connect_loopback(funnel_->port());
  ASSERT_GE(fd, 0);
  std::string gets;
  for (int i = 0; i < 40; ++i) gets += encode_command({"GET", "big"});
  ASSERT_EQ(::send(fd, gets.data(), gets.size(), MSG_NOSIGNAL), static_cast<ssize_t>(gets.size()));
  // Replies pile up unread: Funnel's output passes the soft limit and it stops reading us.
  ASSERT_TRUE(wait_until([&] { return funnel_info(control, "funnel_client_buffer_bytes") > 1e6; }));
  const std::string partial = "*2\r\n$3\r\nGET\r\n$3\r\nbi";
  ASSERT_EQ(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(partial.size()));
  ::shutdown(fd, SHUT_WR);
  // A CI run (asan, two tests at a time) once saw clients back to 1 but one descriptor more
  // than idle after 10 s; not reproduced since (0 of 64 runs four at a time): the lists say
  // which descriptor it is if it happens again.
  EXPECT_TRUE(back_to_idle(control, 1, idle_fds))
      << "clients " << funnel_info(control, "funnel_connected_clients") << ", descriptors "
      << open_descriptors(funnel_->pid()) << " (idle " << idle_fds
      << ")\nnow:  " << describe_descriptors(funnel_->pid()) << "\nidle: " << idle_list;
  EXPECT_TRUE(wait_until([&] {
    return funnel_info(control, "funnel_client_buffer_bytes") <= idle_buffers + 64 * 1024;
  })) << funnel_info(control, "funnel_client_buffer_bytes")
      << " (idle " << idle_buffers << ")";
  ::close(fd);
}

// Item 3: a bulk header announcing 60 MB, then a few bytes, must not make Funnel allocate (and
// zero) 60 MB: buffers grow with the bytes that arrive.
TEST_F(HostileInputTest, AnnouncedBulkLengthsAllocateNothingAhead) {
  start({"--workers", "1"});
  RespConnection control(funnel_->port());
  ASSERT_EQ(control.command({"SET", "k", "v"}).str, "OK");
  const std::size_t rss_before = rss_bytes(funnel_->pid());
  constexpr int kAttackers = 8;
  std::vector<std::unique_ptr<RespConnection>> attackers;
  for (int i = 0; i < kAttackers; ++i) {
    attackers.push_back(std::make_unique<RespConnection>(funnel_->port()));
    const long long held = funnel_info(control, "funnel_client_buffer_bytes");
    attackers.back()->send_raw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$62914560\r\n");
    // Wait until Funnel holds the header (a partial request in the client's buffer), so the
    // next bytes come in a read of their own.
    ASSERT_TRUE(
        wait_until([&] { return funnel_info(control, "funnel_client_buffer_bytes") > held; }));
    // More than the 512-byte buffer that holds the header: Funnel has read them once its
    // buffer has grown past that.
    attackers.back()->send_raw(std::string(1000, 'a'));
    ASSERT_TRUE(wait_until(
        [&] { return funnel_info(control, "funnel_client_buffer_bytes") > held + 1000; }));
  }
  const long long buffered = funnel_info(control, "funnel_client_buffer_bytes");
  EXPECT_LT(buffered, kAttackers * 128 * 1024) << "bytes held for " << kAttackers << " clients";
  const std::size_t rss_after = rss_bytes(funnel_->pid());
  EXPECT_LT(rss_after, rss_before + 64 * 1024 * 1024)
      << "RSS went from " << rss_before << " to " << rss_after;
  EXPECT_EQ(control.command({"GET", "k"}).str, "v");
  for (auto& attacker : attackers) {
    EXPECT_EQ(attacker->buffered(), "") << "an attacker was answered (closed by the budget?)";
  }
}

// Item 5: a request with many arguments, trickled in small pieces, is parsed once, not again
// from its first byte on every read. Each piece is followed by another client's GET, which
// also paces the pieces into reads of their own. The quadratic parser spent milliseconds of the
// worker per piece here; resuming, a piece costs a few microseconds.
TEST_F(HostileInputTest, TrickledHugeRequestCostsLinearCpu) {
  start({"--workers", "1"});
  RespConnection other(funnel_->port());
  ASSERT_EQ(other.command({"SET", "other", "fine"}).str, "OK");
  const std::size_t prefix_args = reduced_scale() ? 150'000 : 600'000;
  constexpr std::size_t kPieces = 1000;
  RespConnection trickler(funnel_->port(), 60s);
  trickler.send_raw("*" + std::to_string(2 + prefix_args + kPieces) +
                    "\r\n$5\r\nRPUSH\r\n$5\r\ntrick\r\n" + many_args(prefix_args));
  // Funnel has read the prefix once this client's buffer holds it.
  ASSERT_TRUE(wait_until(
      [&] {
        return funnel_info(other, "funnel_client_buffer_bytes") >=
               static_cast<long long>(prefix_args * 7);
      },
      60s));
  const long before = cpu_ms(funnel_->pid());
  for (std::size_t i = 0; i < kPieces; ++i) {
    trickler.send_raw("$1\r\nx\r\n");
    ASSERT_EQ(other.command({"GET", "other"}).str, "fine");
  }
  const long spent = cpu_ms(funnel_->pid()) - before;
  std::cout << "funnel CPU for " << kPieces << " pieces after " << prefix_args
            << " arguments: " << spent << " ms\n";
  const resp::Value pushed = trickler.read_value();
  EXPECT_EQ(pushed.integer, static_cast<long long>(prefix_args + kPieces)) << pushed.str;
  // Generous: 1 ms of CPU per 7-byte piece (and its GET) is ~100x what resuming needs.
  EXPECT_LT(spent, static_cast<long>(kPieces))
      << spent << " ms of CPU for " << kPieces << " pieces after " << prefix_args << " args";
}

// Item 11: Redis 7 accepts up to INT_MAX arguments; Funnel forwards more than 1,048,576.
TEST_F(HostileInputTest, MoreThanAMillionArgumentsWork) {
  start();
  RespConnection c(funnel_->port(), 120s);
  constexpr std::size_t kArgs = 1'100'000;
  c.send_raw("*" + std::to_string(kArgs + 2) + "\r\n$5\r\nRPUSH\r\n$4\r\nhuge\r\n" +
             many_args(kArgs));
  const resp::Value reply = c.read_value();
  EXPECT_EQ(reply.integer, static_cast<long long>(kArgs)) << reply.str;
  c.send_raw("*" + std::to_string(kArgs + 1) + "\r\n$3\r\nDEL\r\n" + many_args(kArgs));
  EXPECT_EQ(c.read_value().integer, 0) << "x is not a key";
  EXPECT_EQ(c.command({"LLEN", "huge"}).integer, static_cast<long long>(kArgs));
}

// Item 11, above max_request_bytes: many arguments are refused like one large value, with
// Funnel's own error, before the request is buffered whole.
TEST_F(HostileInputTest, ManyArgumentsBeyondMaxRequestBytesAreRefused) {
  start({"--config", write_config("[limits]\nmax_request_bytes = \"1mb\"\n")});
  RespConnection c(funnel_->port(), 60s);
  constexpr std::size_t kArgs = 200'000;  // 1.4 MB
  c.send_raw("*" + std::to_string(kArgs + 1) + "\r\n$3\r\nDEL\r\n" + many_args(kArgs));
  const std::string reply = c.read_raw_reply();
  EXPECT_EQ(reply.rfind("-ERR funnel: request exceeds max_request_bytes", 0), 0u) << reply;
  EXPECT_TRUE(c.closed_by_peer());
}

}  // namespace
}  // namespace funnel::test
