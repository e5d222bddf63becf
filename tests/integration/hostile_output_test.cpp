// Hostile and careless clients on the reply side (issue #14, items 2, 9 and 12): replies larger
// than the output limits, slow readers of big replies on a shared link, clients that leave
// mid-reply, replies nested thousands of levels deep, and the buffer accounting after all of it.
// Every test ends with the process buffer counter back at exactly 0 (never negative).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace funnel::test {
namespace {

// Big values are built in 1 MB APPENDs; their bytes follow a pattern so a checksum catches any
// byte lost, repeated or reordered.
constexpr std::size_t kChunk = 1 << 20;

std::string chunk_bytes(std::size_t index) {
  std::string chunk(kChunk, '\0');
  for (std::size_t i = 0; i < kChunk; ++i) {
    chunk[i] = static_cast<char>('a' + (i * 7 + index * 13 + (i >> 10)) % 26);
  }
  return chunk;
}

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}
constexpr std::uint64_t kFnvBasis = 14695981039346656037ull;

// Sets key to `chunks` MB directly on the backend (no DEBUG); returns the value's checksum.
std::uint64_t build_value(std::uint16_t redis_port, const std::string& key, std::size_t chunks) {
  RespConnection direct(redis_port, std::chrono::seconds(30));
  direct.command({"DEL", key});
  std::uint64_t hash = kFnvBasis;
  for (std::size_t i = 0; i < chunks; ++i) {
    const std::string chunk = chunk_bytes(i);
    hash = fnv1a(hash, chunk);
    direct.send_command({"APPEND", key, chunk});
    const std::string reply = direct.read_raw_reply();
    if (reply != ":" + std::to_string((i + 1) * kChunk) + "\r\n") {
      throw std::runtime_error("APPEND failed: " + printable(reply));
    }
  }
  return hash;
}

// A bare client socket, for reading a big bulk reply as it streams (RespConnection would keep
// it all in memory) and for not reading at all.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : connection_(port) {}
  void send(const std::vector<std::string>& args) { connection_.send_command(args); }
  int fd() const { return connection_.fd(); }
  void close() { connection_.close(); }

  // Reads up to `limit` bytes (what arrives before the deadline); returns bytes read, or -1 at
  // EOF before any.
  long read_some(char* data, std::size_t limit, std::chrono::milliseconds timeout) {
    pollfd p{fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return 0;
    const long n = ::recv(fd(), data, limit, 0);
    return n > 0 ? n : -1;
  }

  // Reads one bulk reply "$<len>\r\n<payload>\r\n"; returns the payload's length and checksum.
  // Throws on EOF or when nothing arrives for `idle`.
  std::pair<std::size_t, std::uint64_t> read_bulk(std::chrono::milliseconds idle = 10s) {
    std::string header;
    char c = 0;
    while (!header.ends_with("\r\n")) {
      if (read_some(&c, 1, idle) != 1) throw std::runtime_error("no bulk header: " + header);
      header.push_back(c);
    }
    if (header[0] != '$') throw std::runtime_error("not a bulk: " + printable(header));
    const std::size_t length = std::stoull(header.substr(1));
    std::uint64_t hash = kFnvBasis;
    std::vector<char> buffer(256 * 1024);
    std::size_t left = length + 2;
    while (left > 0) {
      const long n = read_some(buffer.data(), std::min(left, buffer.size()), idle);
      if (n <= 0) throw std::runtime_error(std::to_string(left) + " bytes of the bulk missing");
      const std::size_t payload = std::min<std::size_t>(n, left > 2 ? left - 2 : 0);
      hash = fnv1a(hash, std::string_view(buffer.data(), payload));
      left -= static_cast<std::size_t>(n);
    }
    return {length, hash};
  }

 private:
  RespConnection connection_;
};

// IDs of Funnel's shared links on the backend: the same set before and after means no link was
// closed and reopened.
std::set<std::string> shared_link_ids(std::uint16_t redis_port) {
  RespConnection direct(redis_port);
  std::istringstream lines(direct.command({"CLIENT", "LIST"}).str);
  std::set<std::string> ids;
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("name=funnel:shared:") == std::string::npos) continue;
    ids.insert(line.substr(0, line.find(' ')));
  }
  return ids;
}

// Builds on the sanitizer: its quarantine keeps freed memory resident, so RSS says nothing there.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRssMeaningful = false;
#else
constexpr bool kRssMeaningful = true;
#endif

class HostileOutputTest : public ProxyFixture {
 protected:
  void start_with(const std::string& limits, std::vector<std::string> args = {}) {
    config_ = dir_.file("funnel.toml");
    std::ofstream(config_) << "[limits]\n" << limits;
    args.insert(args.end(), {"--config", config_});
    start(args);
  }
  std::int64_t buffer_bytes() {
    RespConnection control(funnel_->port());
    const std::int64_t bytes = funnel_info(control, "funnel_client_buffer_bytes");
    lowest_ = std::min(lowest_, bytes);
    return bytes;
  }
  // The invariant every test ends with: once the test's clients are gone, no buffer is counted.
  void TearDown() override {
    if (funnel_ && funnel_->alive()) {
      std::int64_t last = -1;
      EXPECT_TRUE(wait_until([&] { return (last = buffer_bytes()) == 0; }))
          << "funnel_client_buffer_bytes stayed at " << last;
    }
    EXPECT_GE(lowest_, 0) << "funnel_client_buffer_bytes went negative";
    ProxyFixture::TearDown();
  }

  TempDir dir_{"funnel-hostile-output"};
  std::string config_;
  std::int64_t lowest_ = 0;  // the lowest buffer counter seen
};

// Item 9: a reply larger than client_output_hard_bytes reaches a client that reads it, whole,
// and Funnel streams it instead of holding it (twice) in memory.
TEST_F(HostileOutputTest, ReplyLargerThanTheHardLimitStreamsIntact) {
  const std::size_t chunks = reduced_scale() ? 24 : 300;
  start_with(reduced_scale() ? "client_output_hard_bytes = \"8mb\"\n" : "");
  const std::uint64_t expected = build_value(redis_->port(), "big", chunks);
  const long rss_before = static_cast<long>(rss_bytes(funnel_->pid()) >> 10);
  RawClient reader(funnel_->port());
  reader.send({"GET", "big"});
  const auto [length, hash] = reader.read_bulk();
  EXPECT_EQ(length, chunks * kChunk);
  EXPECT_EQ(hash, expected);
  const long peak = static_cast<long>(status_bytes(funnel_->pid(), "VmHWM") >> 10);
  if (kRssMeaningful) {
    EXPECT_LT(peak - rss_before, static_cast<long>(chunks * kChunk / 1024 / 2))
        << "Funnel's RSS peaked at " << peak << " kB (" << rss_before << " kB before)";
  }
  // The client and its link keep working.
  reader.send({"PING"});
  char pong[7] = {};
  EXPECT_EQ(reader.read_some(pong, sizeof pong, 5s), 7);
  EXPECT_EQ(std::string(pong, 7), "+PONG\r\n");
}

// Item 9: a client that asks for a big reply and never reads it pauses the shared link only until
// another client's request waits behind it (then its reply is buffered for it, up to its hard
// limit, past which it is closed); the other client on the same link loses nothing.
TEST_F(HostileOutputTest, SlowReaderOfBigReplyIsClosedWithoutHurtingItsLinkNeighbours) {
  start_with("client_output_hard_bytes = \"8mb\"\n",
             {"--workers", "1", "--connections-per-node", "1"});
  // Larger than what the kernel's socket buffers take, so Funnel holds (and pauses for) the rest.
  build_value(redis_->port(), "big", 32);
  RespConnection other(funnel_->port());
  ASSERT_EQ(other.command({"SET", "small", "v"}).str, "OK");
  const auto links = shared_link_ids(redis_->port());
  RawClient slow(funnel_->port());
  slow.send({"GET", "big"});  // and reads nothing until the others are served
  constexpr int kRequests = 50;
  for (int i = 0; i < kRequests; ++i) other.send_command({"GET", "small"});
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(other.read_raw_reply(), "$1\r\nv\r\n") << i;
  // The slow reader was closed: draining what it was sent ends in EOF, short of the value.
  std::vector<char> sink(1 << 20);
  std::size_t received = 0;
  long n = 0;
  const auto deadline = Clock::now() + 10s;
  while ((n = slow.read_some(sink.data(), sink.size(), 2s)) > 0 && Clock::now() < deadline) {
    received += static_cast<std::size_t>(n);
  }
  EXPECT_EQ(n, -1) << "the slow reader was not closed; funnel log:\n" << funnel_->log_text();
  EXPECT_LT(received, 32 * kChunk);
  EXPECT_EQ(shared_link_ids(redis_->port()), links) << "the shared link was replaced";
  EXPECT_EQ(other.command({"GET", "small"}).str, "v");
}

// Item 9: a client that leaves halfway through a big reply leaves the link intact; the rest of
// the reply is read and dropped.
TEST_F(HostileOutputTest, ClientLeavingMidReplyKeepsTheLink) {
  start_with("", {"--workers", "1", "--connections-per-node", "1"});
  build_value(redis_->port(), "big", 16);
  RespConnection other(funnel_->port());
  ASSERT_EQ(other.command({"SET", "small", "v"}).str, "OK");
  const auto links = shared_link_ids(redis_->port());
  for (int round = 0; round < 3; ++round) {
    RawClient leaver(funnel_->port());
    leaver.send({"GET", "big"});
    std::vector<char> part(64 * 1024);
    EXPECT_GT(leaver.read_some(part.data(), part.size(), 5s), 0);
    other.send_command({"GET", "small"});
    leaver.close();
    EXPECT_EQ(other.read_raw_reply(), "$1\r\nv\r\n");
  }
  EXPECT_EQ(shared_link_ids(redis_->port()), links) << "the shared link was replaced";
  EXPECT_EQ(funnel_->log_text().find("closing the link"), std::string::npos);
}

// Item 9: clients on a worker without a link of its own get big replies handed over intact.
// The parts cross between workers in order; there is no backpressure across workers (the link
// does not pause for them), so the client's hard limit alone bounds what it holds.
TEST_F(HostileOutputTest, BigRepliesReachClientsOnOtherWorkers) {
  start_with("", {"--workers", "2", "--connections-per-node", "1"});
  const std::uint64_t expected = build_value(redis_->port(), "big", 12);
  std::vector<std::unique_ptr<RawClient>> readers;
  for (int i = 0; i < 4; ++i) readers.push_back(std::make_unique<RawClient>(funnel_->port()));
  // All read at once: a client left unread while the link streams to it is a slow reader.
  std::vector<std::pair<std::size_t, std::uint64_t>> results(readers.size());
  std::vector<std::string> errors(readers.size());
  std::vector<std::thread> threads;
  for (auto& reader : readers) reader->send({"GET", "big"});
  for (std::size_t i = 0; i < readers.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        results[i] = readers[i]->read_bulk();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < readers.size(); ++i) {
    EXPECT_EQ(errors[i], "") << i;
    EXPECT_EQ(results[i].first, 12 * kChunk) << i;
    EXPECT_EQ(results[i].second, expected) << i;
  }
}

// Item 2: the buffer counter is exact: back to 0 after a big reply, never below it.
TEST_F(HostileOutputTest, BufferCounterIsExactAfterABigReply) {
  start_with("", {"--workers", "1"});
  const std::size_t chunks = reduced_scale() ? 20 : 200;
  const std::uint64_t expected = build_value(redis_->port(), "big", chunks);
  {
    RawClient reader(funnel_->port());
    reader.send({"GET", "big"});
    EXPECT_EQ(reader.read_bulk().second, expected);
    // Idle now: it holds no buffer.
    EXPECT_TRUE(wait_until([&] { return buffer_bytes() == 0; })) << buffer_bytes();
  }
  EXPECT_TRUE(wait_until([&] { return buffer_bytes() == 0; })) << buffer_bytes();
}

// Item 2: memory handed out for big replies goes back to the system once clients are idle.
TEST_F(HostileOutputTest, MemoryComesBackAfterBigRepliesToIdleClients) {
  if (!kRssMeaningful) GTEST_SKIP() << "RSS is not meaningful under AddressSanitizer";
  start_with("", {"--workers", "1"});
  const std::size_t chunks = reduced_scale() ? 16 : 100;
  const std::uint64_t expected = build_value(redis_->port(), "big", chunks);
  const long idle_rss = static_cast<long>(rss_bytes(funnel_->pid()) >> 10);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(std::make_unique<RawClient>(funnel_->port()));
    clients.back()->send({"GET", "big"});
    EXPECT_EQ(clients.back()->read_bulk().second, expected);
  }
  long rss = 0;
  EXPECT_TRUE(wait_until(
      [&] { return (rss = static_cast<long>(rss_bytes(funnel_->pid()) >> 10)) < 2 * idle_rss; },
      5s))
      << "RSS " << rss << " kB with 10 idle clients, " << idle_rss << " kB before";
}

// Item 12: a reply nested ~8,000 levels deep (Redis's "Script return recursive object") is
// framed like any other: the client gets Redis's exact bytes and the shared link survives, with
// the requests of another client pipelined around it.
TEST_F(HostileOutputTest, DeeplyNestedReplyIsRelayedAndTheLinkSurvives) {
  start_with("", {"--workers", "1", "--connections-per-node", "1"});
  const std::vector<std::string> eval = {"EVAL", "local a = {} local b = {a} a[1] = b return a",
                                         "0"};
  RespConnection direct(redis_->port());
  direct.send_command(eval);
  const std::string expected = direct.read_raw_reply();
  ASSERT_GT(expected.size(), 8000u);
  RespConnection other(funnel_->port());
  ASSERT_EQ(other.command({"SET", "n", "0"}).str, "OK");
  const auto links = shared_link_ids(redis_->port());
  RespConnection hostile(funnel_->port());
  constexpr int kEach = 100;
  for (int i = 0; i < kEach; ++i) other.send_command({"INCR", "n"});
  hostile.send_command(eval);
  for (int i = 0; i < kEach; ++i) other.send_command({"INCR", "n"});
  EXPECT_EQ(hostile.read_raw_reply(), expected);
  for (int i = 1; i <= 2 * kEach; ++i) {
    EXPECT_EQ(other.read_raw_reply(), ":" + std::to_string(i) + "\r\n");
  }
  EXPECT_EQ(shared_link_ids(redis_->port()), links) << "the shared link was replaced";
}

}  // namespace
}  // namespace funnel::test
