// net::Transport on a socketpair: plain and TLS report progress, the readiness the next call
// needs, the peer's close and failures the same way (the one mapping of OpenSSL's wants). TLS runs
// with a throwaway key and certificate made in memory; both ends are driven by hand, no threads.
#include "net/transport.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace funnel::net {
namespace {

class SocketPair {
 public:
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~SocketPair() {
    close_a();
    close_b();
  }
  void close_a() {
    if (a >= 0) ::close(a);
    a = -1;
  }
  void close_b() {
    if (b >= 0) ::close(b);
    b = -1;
  }
  int a = -1;
  int b = -1;
};

std::string read_all(Transport& transport, std::size_t chunk = 64) {
  std::string bytes;
  char buffer[256];
  for (int i = 0; i < 1000; ++i) {
    const IoResult result = transport.read_some(buffer, std::min(chunk, sizeof buffer));
    bytes.append(buffer, result.bytes);
    if (result.bytes == 0) break;
  }
  return bytes;
}

TEST(PlainTransportTest, AnEmptySocketWantsRead) {
  SocketPair pair;
  Transport transport;
  transport.attach(pair.a);
  char buffer[16];
  const IoResult result = transport.read_some(buffer, sizeof buffer);
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_EQ(result.status, Io::kWantRead);
  EXPECT_TRUE(result.waits());
}

TEST(PlainTransportTest, AShortReadDrainedTheSocket) {
  SocketPair pair;
  Transport transport;
  transport.attach(pair.a);
  ASSERT_EQ(::send(pair.b, "hello", 5, 0), 5);
  char buffer[16];
  const IoResult result = transport.read_some(buffer, sizeof buffer);
  EXPECT_EQ(result.bytes, 5u);
  EXPECT_EQ(result.status, Io::kWantRead);  // the edge is spent: wait for the next one
  EXPECT_EQ(std::string(buffer, 5), "hello");
}

TEST(PlainTransportTest, AFullReadMayHaveMore) {
  SocketPair pair;
  Transport transport;
  transport.attach(pair.a);
  ASSERT_EQ(::send(pair.b, "0123456789", 10, 0), 10);
  char buffer[4];
  const IoResult result = transport.read_some(buffer, sizeof buffer);
  EXPECT_EQ(result.bytes, 4u);
  EXPECT_EQ(result.status, Io::kMore);
}

TEST(PlainTransportTest, ThePeersCloseIsEof) {
  SocketPair pair;
  Transport transport;
  transport.attach(pair.a);
  ASSERT_EQ(::send(pair.b, "x", 1, 0), 1);
  pair.close_b();
  char buffer[4];
  EXPECT_EQ(transport.read_some(buffer, 1).bytes, 1u);
  const IoResult result = transport.read_some(buffer, sizeof buffer);
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_EQ(result.status, Io::kEof);
  EXPECT_EQ(describe(result), "End of file");
}

TEST(PlainTransportTest, WritesUntilTheSocketIsFull) {
  SocketPair pair;
  Transport transport;
  transport.attach(pair.a);
  const std::string chunk(64 * 1024, 'x');
  IoResult result;
  int writes = 0;
  do {
    result = transport.write_some(chunk.data(), chunk.size());
  } while (result.status == Io::kMore && ++writes < 10000);
  EXPECT_EQ(result.status, Io::kWantWrite);  // a short write (or none): the socket is full
  const IoResult again = transport.write_some(chunk.data(), chunk.size());
  EXPECT_EQ(again.bytes, 0u);
  EXPECT_EQ(again.status, Io::kWantWrite);
}

TEST(PlainTransportTest, AWriteToAClosedPeerIsAnErrorWithItsReason) {
  SocketPair pair;
  Transport transport;
  transport.attach(pair.a);
  pair.close_b();
  const IoResult result = transport.write_some("x", 1);  // MSG_NOSIGNAL: no SIGPIPE
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_EQ(result.status, Io::kError);
  EXPECT_EQ(result.error, EPIPE);
  EXPECT_EQ(describe(result), "Broken pipe");
}

TEST(PlainTransportTest, ResetForgetsTheDescriptorWithoutClosingIt) {
  SocketPair pair;
  Transport transport;
  transport.attach(pair.a);
  EXPECT_EQ(transport.fd(), pair.a);
  EXPECT_FALSE(transport.tls());
  EXPECT_FALSE(transport.handshaking());
  transport.reset();
  EXPECT_EQ(transport.fd(), -1);
  EXPECT_EQ(::send(pair.a, "x", 1, 0), 1);  // still open: its owner closes it
}

// A server and a client context with a throwaway certificate (the client does not verify it).
class TlsTransportTest : public ::testing::Test {
 protected:
  TlsTransportTest() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    server_ctx_ = SSL_CTX_new(TLS_server_method());
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    EXPECT_EQ(SSL_CTX_use_certificate(server_ctx_, cert), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(server_ctx_, key), 1);
    for (SSL_CTX* ctx : {server_ctx_, client_ctx_}) {
      SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    server_.attach(pair_.a, session(server_ctx_, pair_.a, false));
    client_.attach(pair_.b, session(client_ctx_, pair_.b, true));
  }
  ~TlsTransportTest() override {
    server_.reset();
    client_.reset();
    SSL_CTX_free(server_ctx_);
    SSL_CTX_free(client_ctx_);
  }

  static SSL* session(SSL_CTX* ctx, int fd, bool client) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (client) {
      SSL_set_connect_state(ssl);
    } else {
      SSL_set_accept_state(ssl);
    }
    return ssl;
  }

  // Steps both handshakes in turn (no threads: each wants the other's bytes).
  bool handshake_both() {
    for (int round = 0; round < 20; ++round) {
      const IoResult c = client_.handshake();
      const IoResult s = server_.handshake();
      if (c.status == Io::kError || s.status == Io::kError) return false;
      if (!client_.handshaking() && !server_.handshaking()) return true;
    }
    return false;
  }

  SocketPair pair_;
  SSL_CTX* server_ctx_ = nullptr;
  SSL_CTX* client_ctx_ = nullptr;
  Transport server_;
  Transport client_;
};

TEST_F(TlsTransportTest, AHandshakeStepWaitsForThePeer) {
  EXPECT_TRUE(client_.tls());
  EXPECT_TRUE(client_.handshaking());
  const IoResult result = client_.handshake();  // ClientHello sent; the answer is not there yet
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_EQ(result.status, Io::kWantRead);
  EXPECT_TRUE(client_.handshaking());
}

TEST_F(TlsTransportTest, DataFlowsBothWaysAfterTheHandshake) {
  ASSERT_TRUE(handshake_both());
  EXPECT_EQ(client_.handshake().status, Io::kMore);  // done: nothing more to do
  const IoResult wrote = client_.write_some("PING\r\n", 6);
  EXPECT_EQ(wrote.bytes, 6u);
  EXPECT_EQ(wrote.status, Io::kMore);
  char buffer[64];
  const IoResult read = server_.read_some(buffer, sizeof buffer);
  EXPECT_EQ(std::string(buffer, read.bytes), "PING\r\n");
  EXPECT_EQ(read.status, Io::kWantRead);  // OpenSSL found the socket drained
  ASSERT_EQ(server_.write_some("+PONG\r\n", 7).bytes, 7u);
  EXPECT_EQ(read_all(client_), "+PONG\r\n");
  const IoResult nothing = client_.read_some(buffer, sizeof buffer);
  EXPECT_EQ(nothing.bytes, 0u);
  EXPECT_EQ(nothing.status, Io::kWantRead);
}

// A client session runs no handshake of its own: its first reads do.
TEST_F(TlsTransportTest, ReadsRunTheHandshakeThemselves) {
  char buffer[64];
  std::string got;
  bool sent = false;
  for (int round = 0; round < 20 && got.empty(); ++round) {
    (void)client_.handshake();
    const IoResult read = server_.read_some(buffer, sizeof buffer);
    EXPECT_NE(read.status, Io::kError);
    got.append(buffer, read.bytes);
    if (!client_.handshaking() && !sent) sent = client_.write_some("hi", 2).bytes == 2;
  }
  EXPECT_EQ(got, "hi");
  EXPECT_FALSE(server_.handshaking());
}

TEST_F(TlsTransportTest, BytesOpenSslHoldsArePending) {
  ASSERT_TRUE(handshake_both());
  ASSERT_EQ(client_.write_some("0123456789", 10).bytes, 10u);
  char buffer[4];
  const IoResult read = server_.read_some(buffer, sizeof buffer);
  EXPECT_EQ(read.bytes, 4u);
  EXPECT_EQ(read.status, Io::kMore);
  EXPECT_TRUE(server_.has_pending());  // the socket is drained, the record is not: read now
  EXPECT_EQ(read_all(server_, 4), "456789");
  EXPECT_FALSE(server_.has_pending());
}

TEST_F(TlsTransportTest, CloseNotifyIsEof) {
  ASSERT_TRUE(handshake_both());
  client_.reset();  // sends close_notify; the descriptor stays open
  char buffer[16];
  const IoResult read = server_.read_some(buffer, sizeof buffer);
  EXPECT_EQ(read.bytes, 0u);
  EXPECT_EQ(read.status, Io::kEof);
}

// Plain text to a TLS port: the handshake fails, and the transport still says it was in the
// handshake (ClientSession counts tls_handshake_failures by that).
TEST_F(TlsTransportTest, PlainTextIsAHandshakeError) {
  ASSERT_EQ(::send(pair_.b, "PING\r\nPING\r\nPING\r\n", 18, 0), 18);
  char buffer[16];
  const IoResult read = server_.read_some(buffer, sizeof buffer);
  EXPECT_EQ(read.bytes, 0u);
  EXPECT_EQ(read.status, Io::kError);
  EXPECT_EQ(read.error, ECONNRESET);
  EXPECT_EQ(describe(read), "Connection reset by peer");
  EXPECT_TRUE(server_.handshaking());
}

}  // namespace
}  // namespace funnel::net
