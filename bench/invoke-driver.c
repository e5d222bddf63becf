// invoke-driver: the serverless invocation path of issue #20 as a load, bounded in count and time.
// Each invocation opens a TCP connection (and a TLS session with --tls), runs one client's whole
// life on it, and closes it:
//   node6   node-redis 6's connect handshake, pipelined in one write as node-redis sends it
//           (HELLO 3, CLIENT SETINFO LIB-VER, CLIENT SETINFO LIB-NAME, CLIENT
//           MAINT_NOTIFICATIONS ON ...; error replies count, node-redis ignores them), then
//           HGET, then QUIT
//   resp2   HGET, then QUIT: the same client without the handshake (node-redis on RESP2 with
//           client info off), for servers that refuse HELLO (nutcracker)
// THREADS threads each run invocations one after another with blocking sockets until COUNT
// invocations are done in total or MAX_SECONDS pass. The driver's own CPU is not what is
// measured (bench/invocation-path.sh reads the servers' CPU from /proc).
//
//   invoke-driver HOST PORT MODE THREADS COUNT MAX_SECONDS [tls|tls-resume]
//
// tls: a full TLS 1.3 handshake per invocation (no certificate check: loopback benchmark);
// tls-resume: each thread keeps the session ticket of its last connection and resumes with it.
// Prints "ok=N failed=N error_replies=N resumed=N elapsed_ms=N"; exit status 1 if any failed.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char kNode6Handshake[] =
    "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"
    "*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$7\r\nLIB-VER\r\n$5\r\n6.3.1\r\n"
    "*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$8\r\nLIB-NAME\r\n$10\r\nnode-redis\r\n"
    "*5\r\n$6\r\nCLIENT\r\n$19\r\nMAINT_NOTIFICATIONS\r\n$2\r\nON\r\n"
    "$20\r\nmoving-endpoint-type\r\n$11\r\ninternal-ip\r\n";
static const char kHget[] = "*3\r\n$4\r\nHGET\r\n$10\r\ninvocation\r\n$5\r\nfield\r\n";
static const char kQuit[] = "*1\r\n$4\r\nQUIT\r\n";

static struct sockaddr_in g_addr;
static int g_node6, g_tls, g_resume;
static long g_count;
static double g_deadline;
static SSL_CTX* g_ctx;
static atomic_long g_started, g_ok, g_failed, g_error_replies, g_resumed;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// The offset just past one RESP2/RESP3 value at b[pos]; -1 if not all there yet, -2 if not RESP.
static long frame(const char* b, long len, long pos, int depth) {
  if (depth > 8) return -2;
  if (pos >= len) return -1;
  const char* eol = memmem(b + pos, len - pos, "\r\n", 2);
  if (!eol) return -1;
  long line_end = (eol - b) + 2, n;
  char type = b[pos];
  switch (type) {
    case '+':
    case '-':
    case ':':
    case '_':
    case '#':
    case ',':
    case '(':
      return line_end;
    case '$':
    case '!':
    case '=':
      n = strtol(b + pos + 1, NULL, 10);
      if (n < 0) return line_end;
      return len >= line_end + n + 2 ? line_end + n + 2 : -1;
    case '*':
    case '~':
    case '>':
    case '%':
      n = strtol(b + pos + 1, NULL, 10);
      if (type == '%') n *= 2;
      for (pos = line_end; n > 0; --n) {
        pos = frame(b, len, pos, depth + 1);
        if (pos < 0) return pos;
      }
      return pos;
    default:
      return -2;
  }
}

struct Link {
  int fd;
  SSL* ssl;
  char buf[4096];
  long used;
};

static int link_write(struct Link* l, const char* bytes, long n) {
  if (l->ssl) return SSL_write(l->ssl, bytes, (int)n) == n ? 0 : -1;
  return write(l->fd, bytes, n) == n ? 0 : -1;
}

// Reads until `replies` whole replies are in; counts error replies. 0 on success, 1 when the
// server closed the connection cleanly before sending anything (nutcracker's answer to QUIT).
static int expect(struct Link* l, int replies) {
  long pos = 0;
  l->used = 0;
  while (replies > 0) {
    long end = frame(l->buf, l->used, pos, 0);
    if (end == -2) return -1;
    if (end > 0) {
      if (l->buf[pos] == '-') atomic_fetch_add(&g_error_replies, 1);
      pos = end;
      --replies;
      continue;
    }
    if (l->used == (long)sizeof l->buf) return -1;
    long n = l->ssl ? SSL_read(l->ssl, l->buf + l->used, (int)(sizeof l->buf - l->used))
                    : read(l->fd, l->buf + l->used, sizeof l->buf - l->used);
    if (n == 0 && l->used == 0) return 1;
    if (n <= 0) return -1;
    l->used += n;
  }
  return 0;
}

static int converse(struct Link* l) {
  if (g_node6 && (link_write(l, kNode6Handshake, sizeof kNode6Handshake - 1) || expect(l, 4))) {
    return -1;
  }
  if (link_write(l, kHget, sizeof kHget - 1) || expect(l, 1)) return -1;
  if (link_write(l, kQuit, sizeof kQuit - 1)) return -1;
  return expect(l, 1) < 0 ? -1 : 0;  // +OK, or the close that ends the conversation anyway
}

// One invocation: connect, (TLS), converse, close. `session` is the thread's resumption ticket.
static int invoke(SSL_SESSION** session) {
  struct Link l = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), .ssl = NULL};
  int one = 1, rc = -1;
  if (l.fd < 0) return -1;
  setsockopt(l.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(l.fd, (struct sockaddr*)&g_addr, sizeof g_addr) != 0) goto out;
  if (g_tls) {
    l.ssl = SSL_new(g_ctx);
    SSL_set_fd(l.ssl, l.fd);
    if (g_resume && *session) SSL_set_session(l.ssl, *session);
    if (SSL_connect(l.ssl) != 1) goto out;
    if (SSL_session_reused(l.ssl)) atomic_fetch_add(&g_resumed, 1);
  }
  rc = converse(&l);
  if (rc == 0 && l.ssl && g_resume) {
    // TLS 1.3 tickets come after the handshake; by the first reply they have been read.
    if (*session) SSL_SESSION_free(*session);
    *session = SSL_get1_session(l.ssl);
  }
out:
  if (l.ssl) {
    if (rc == 0) SSL_shutdown(l.ssl);  // close_notify, as a TLS client's end() sends
    SSL_free(l.ssl);
  }
  close(l.fd);
  return rc;
}

static void* run(void* arg) {
  (void)arg;
  SSL_SESSION* session = NULL;
  while (atomic_fetch_add(&g_started, 1) < g_count && now_s() < g_deadline) {
    if (invoke(&session) == 0) {
      atomic_fetch_add(&g_ok, 1);
    } else {
      atomic_fetch_add(&g_failed, 1);
    }
  }
  if (session) SSL_SESSION_free(session);
  return NULL;
}

static int make_tls_context(void) {
  g_ctx = SSL_CTX_new(TLS_client_method());
  if (!g_ctx) return -1;
  SSL_CTX_set_min_proto_version(g_ctx, TLS1_3_VERSION);
  SSL_CTX_set_verify(g_ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(g_ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 7) {
    fprintf(stderr,
            "usage: invoke-driver HOST PORT node6|resp2 THREADS COUNT MAX_SECONDS "
            "[tls|tls-resume]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);  // a server closing after QUIT must not kill the driver
  g_addr.sin_family = AF_INET;
  g_addr.sin_port = htons((unsigned short)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &g_addr.sin_addr) != 1) return 2;
  g_node6 = strcmp(argv[3], "node6") == 0;
  int threads = atoi(argv[4]);
  g_count = atol(argv[5]);
  if (threads < 1 || threads > 1024 || g_count < 1) return 2;
  g_tls = argc > 7 && strncmp(argv[7], "tls", 3) == 0;
  g_resume = argc > 7 && strcmp(argv[7], "tls-resume") == 0;
  if (g_tls && make_tls_context() != 0) return 1;
  double start = now_s();
  g_deadline = start + atof(argv[6]);
  pthread_t tids[1024];
  for (int i = 0; i < threads; ++i) pthread_create(&tids[i], NULL, run, NULL);
  for (int i = 0; i < threads; ++i) pthread_join(tids[i], NULL);
  printf("ok=%ld failed=%ld error_replies=%ld resumed=%ld elapsed_ms=%.0f\n", atomic_load(&g_ok),
         atomic_load(&g_failed), atomic_load(&g_error_replies), atomic_load(&g_resumed),
         (now_s() - start) * 1000);
  return atomic_load(&g_failed) > 0 ? 1 : 0;
}
