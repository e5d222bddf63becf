// Authentication on both sides and the limits that failed in the incident: clients must AUTH
// when Funnel has a password, Funnel authenticates its own links, secrets never leak, and the
// client after max_clients gets Redis's own error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "harness.hpp"

namespace funnel::test {
namespace {

constexpr const char* kClientSecret = "client-Secret-7f3a";
constexpr const char* kBackendSecret = "backend-Secret-91c2";

std::string write_secret(const TempDir& dir, const std::string& name, const std::string& secret) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << secret << "\n";
  return path;
}

class AuthTest : public ProxyFixture {
 protected:
  void start_with_passwords() {
    redis_ = RedisServer::start({"--requirepass", kBackendSecret});
    funnel_ = FunnelProcess::start(
        {"--backend", backend_arg(redis_->port()), "--requirepass-file",
         write_secret(dir_, "client.pass", kClientSecret), "--backend-password-file",
         write_secret(dir_, "backend.pass", kBackendSecret), "--log-level", "debug"});
  }
  TempDir dir_{"funnel-auth"};
};

TEST_F(AuthTest, ClientsMustAuthenticateWithRedisReplies) {
  start_with_passwords();
  RespConnection c(funnel_->port());
  EXPECT_EQ(c.command({"GET", "k"}).str, "NOAUTH Authentication required.");
  EXPECT_EQ(c.command({"nosuch"}).str.rfind("ERR unknown command 'nosuch'", 0), 0u);
  // Byte for byte what redis-server (with a password) says to HELLO before AUTH.
  RespConnection direct(redis_->port());
  direct.send_command({"HELLO", "3"});
  c.send_command({"HELLO", "3"});
  EXPECT_EQ(c.read_raw_reply(), direct.read_raw_reply());
  EXPECT_EQ(c.command({"AUTH", "wrong"}).str,
            "WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(c.command({"AUTH", "someone", kClientSecret}).str,
            "WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(c.command({"AUTH", kClientSecret}).str, "OK");
  EXPECT_EQ(c.command({"SET", "k", "v"}).str, "OK");
  EXPECT_EQ(c.command({"GET", "k"}).str, "v");

  RespConnection node_redis6(funnel_->port());
  const resp::Value map = node_redis6.command({"HELLO", "3", "AUTH", "default", kClientSecret});
  ASSERT_EQ(map.type, resp::ValueType::kMap);
  EXPECT_EQ(map.find("proto")->integer, 3);
  EXPECT_EQ(node_redis6.command({"GET", "k"}).str, "v");
}

TEST_F(AuthTest, CommandsPipelinedAfterAFailedAuthAreRefused) {
  start_with_passwords();
  RespConnection c(funnel_->port());
  c.send_raw(encode_command({"AUTH", "nope"}) + encode_command({"SET", "stolen", "1"}) +
             encode_command({"GET", "stolen"}));
  EXPECT_EQ(c.read_value().str.rfind("WRONGPASS", 0), 0u);
  EXPECT_EQ(c.read_value().str, "NOAUTH Authentication required.");
  EXPECT_EQ(c.read_value().str, "NOAUTH Authentication required.");
  RespConnection direct(redis_->port());
  direct.command({"AUTH", kBackendSecret});
  EXPECT_TRUE(direct.command({"GET", "stolen"}).is_null());
}

TEST_F(AuthTest, ResetDropsAuthentication) {
  start_with_passwords();
  RespConnection c(funnel_->port());
  EXPECT_EQ(c.command({"AUTH", kClientSecret}).str, "OK");
  EXPECT_EQ(c.command({"RESET"}).str, "RESET");
  EXPECT_EQ(c.command({"GET", "k"}).str, "NOAUTH Authentication required.");
}

TEST_F(AuthTest, SecretsNeverAppearInLogsOrInfo) {
  start_with_passwords();
  RespConnection c(funnel_->port());
  c.command({"AUTH", kClientSecret});
  c.command({"AUTH", "a-wrong-guess"});
  const std::string info = c.command({"INFO", "everything"}).str;
  EXPECT_EQ(info.find(kClientSecret), std::string::npos);
  EXPECT_EQ(info.find(kBackendSecret), std::string::npos);
  EXPECT_EQ(c.command({"CLIENT", "INFO"}).str.find(kClientSecret), std::string::npos);
  funnel_->stop();
  const std::string log = funnel_->log_text();
  EXPECT_EQ(log.find(kClientSecret), std::string::npos) << log;
  EXPECT_EQ(log.find(kBackendSecret), std::string::npos) << log;
  EXPECT_NE(log.find("up (redis"), std::string::npos) << "links should have authenticated\n" << log;
}

TEST_F(AuthTest, WithoutRequirepassAuthGetsRedisReply) {
  start();
  RespConnection c(funnel_->port());
  EXPECT_EQ(c.command({"AUTH", "x"}).str,
            "ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?");
  EXPECT_EQ(c.command({"AUTH", "default", "anything"}).str, "OK");
  EXPECT_EQ(c.command({"HELLO", "3", "AUTH", "default", "anything"}).type, resp::ValueType::kMap);
}

TEST_F(AuthTest, WrongBackendPasswordGivesAClearErrorNotAHang) {
  redis_ = RedisServer::start({"--requirepass", kBackendSecret});
  funnel_ =
      FunnelProcess::start({"--backend", backend_arg(redis_->port()), "--backend-password-file",
                            write_secret(dir_, "bad.pass", "not-the-password")});
  RespConnection c(funnel_->port());
  const resp::Value reply = c.command({"GET", "k"});
  ASSERT_TRUE(reply.is_error());
  EXPECT_NE(reply.str.find("WRONGPASS"), std::string::npos) << reply.str;
  EXPECT_EQ(reply.str.find("not-the-password"), std::string::npos);
}

class LimitsTest : public ProxyFixture {};

TEST_F(LimitsTest, ClientBeyondMaxClientsGetsRedisError) {
  start({"--max-clients", "5", "--workers", "2"});
  std::vector<std::unique_ptr<RespConnection>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<RespConnection>(funnel_->port()));
    EXPECT_EQ(clients.back()->command({"PING"}).str, "PONG");
  }
  RespConnection extra(funnel_->port());
  EXPECT_EQ(extra.read_raw_reply(), "-ERR max number of clients reached\r\n");
  EXPECT_TRUE(extra.closed_by_peer());
  clients.pop_back();  // a place frees up
  EXPECT_TRUE(wait_until([&] {
    RespConnection again(funnel_->port());
    again.send_command({"PING"});
    return again.read_raw_reply() == "+PONG\r\n";
  }));
}

TEST_F(LimitsTest, OversizedRequestIsRefusedAndOthersKeepWorking) {
  TempDir dir("funnel-limits");
  const std::string config = dir.path() + "/funnel.toml";
  std::ofstream(config) << "[limits]\nmax_request_bytes = \"64kb\"\n";
  start({"--config", config});
  RespConnection big(funnel_->port());
  RespConnection small(funnel_->port());
  big.send_command({"SET", "big", std::string(100 * 1024, 'x')});
  const std::string reply = big.read_raw_reply();
  EXPECT_EQ(reply.rfind("-ERR funnel: request exceeds max_request_bytes", 0), 0u) << reply;
  EXPECT_TRUE(big.closed_by_peer());
  EXPECT_EQ(small.command({"SET", "small", std::string(1000, 'y')}).str, "OK");
}

TEST_F(LimitsTest, ClientThatDoesNotReadIsClosedPastTheHardOutputCap) {
  TempDir dir("funnel-output");
  const std::string config = dir.path() + "/funnel.toml";
  std::ofstream(config) << "[limits]\nclient_output_soft_bytes = \"64kb\"\n"
                        << "client_output_hard_bytes = \"2mb\"\n";
  start({"--config", config});
  RespConnection writer(funnel_->port());
  EXPECT_EQ(writer.command({"SET", "big", std::string(256 * 1024, 'v')}).str, "OK");
  RespConnection greedy(funnel_->port());
  ::setsockopt(greedy.fd(), SOL_SOCKET, SO_RCVBUF, "\0\20\0\0", 4);  // 4 KB: fill up fast
  std::string batch;
  for (int i = 0; i < 400; ++i) batch += encode_command({"GET", "big"});  // 100 MB of replies
  greedy.send_raw(batch);
  // Funnel stops reading it past the soft cap, then closes it past the hard cap...
  EXPECT_TRUE(wait_until([&] {
    return funnel_->log_text().find("not reading its replies") != std::string::npos;
  })) << funnel_->log_text();
  // ...while everyone else is served.
  EXPECT_EQ(writer.command({"PING"}).str, "PONG");
}

TEST_F(LimitsTest, LargeValuesTravelIntact) {
  start();
  RespConnection c(funnel_->port());
  std::string value(5 * 1024 * 1024, 'a');
  for (std::size_t i = 0; i < value.size(); i += 4096) value[i] = static_cast<char>('a' + i % 26);
  EXPECT_EQ(c.command({"SET", "large", value}).str, "OK");
  EXPECT_EQ(c.command({"GET", "large"}).str, value);
}

// Client sockets are edge-triggered (net/poller.hpp): a reply far larger than the
// socket buffers leaves in many writes, each waiting for output, while the client reads slowly;
// then the connection must still read and answer its next request, sent one byte at a time.
TEST_F(LimitsTest, SlowReaderGetsItsWholeReplyAndTheConnectionStaysUsable) {
  start();
  RespConnection writer(funnel_->port());
  std::string value(12 * 1024 * 1024, 'x');
  for (std::size_t i = 0; i < value.size(); i += 1000) value[i] = static_cast<char>('a' + i % 26);
  EXPECT_EQ(writer.command({"SET", "slow-big", value}).str, "OK");
  // A small receive buffer, set before connecting (set later, TCP's zero-window probing makes
  // the transfer take minutes whatever the server does).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  const int rcvbuf = 8 * 1024;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  const timeval timeout{10, 0};  // a stalled server fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(funnel_->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const auto send_all = [fd](const std::string& bytes) {
    return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  };
  ASSERT_TRUE(send_all(encode_command({"GET", "slow-big"})));
  const std::string expected = "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  std::string reply;
  for (int i = 0; i < 100000 && reply.size() < expected.size(); ++i) {
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    reply.append(chunk, static_cast<std::size_t>(n));
    if (i % 64 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a slow reader
  }
  EXPECT_EQ(reply.size(), expected.size());
  EXPECT_TRUE(reply == expected);
  const std::string echo = encode_command({"ECHO", "still-here"});
  for (char byte : echo) ASSERT_TRUE(send_all(std::string(1, byte)));
  char answer[64] = {};
  std::string text;
  for (int i = 0; i < 100 && text.size() < 16; ++i) {
    const ssize_t n = ::recv(fd, answer, sizeof(answer), 0);
    if (n <= 0) break;
    text.append(answer, static_cast<std::size_t>(n));
  }
  EXPECT_EQ(text, "$10\r\nstill-here\r\n");
  ::close(fd);
}

TEST_F(LimitsTest, IdleClientsAreReaped) {
  start({"--idle-client-timeout-s", "1"});
  RespConnection idle(funnel_->port());
  EXPECT_EQ(idle.command({"PING"}).str, "PONG");
  EXPECT_TRUE(idle.closed_by_peer(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace funnel::test
