// idle_clients: opens N client connections to a Redis-protocol server, has each one complete a
// connect handshake, then keeps them all open and idle until SIGTERM/SIGINT or a maximum
// lifetime. bench/run-bench.sh uses it to measure a server's resident memory per idle
// client; it runs in its own process because the descriptor hard limit here is 20,000 per process.
//
//   idle_clients HOST PORT N MODE [CONCURRENCY] [READY_TIMEOUT_S] [MAX_LIFE_S]
//
// MODE:
//   node-redis6  the pipelined handshake node-redis 6.3.1 sends on connect (RESP3):
//                HELLO 3, CLIENT SETINFO LIB-VER 6.3.1, CLIENT SETINFO LIB-NAME node-redis,
//                CLIENT MAINT_NOTIFICATIONS ON moving-endpoint-type internal-ip; waits for 4
//                replies (error replies count: node-redis ignores SETINFO/MAINT failures).
//   hello3       HELLO 3 alone, one reply.
//   ping         PING, one reply (for servers that close the connection on HELLO, e.g. nutcracker).
//   none         connect only.
//   auto         node-redis6; a connection the server closes during that handshake is reopened
//                once with the ping handshake (counted as "fallback").
//
// Prints one line "READY ok=.. failed=.. fallback=.. closed_in_handshake=.. elapsed_ms=.." when
// every connection is idle or has failed (or READY_TIMEOUT_S passed); it keeps them open until
// SIGTERM/SIGINT or MAX_LIFE_S (0: leave right after READY, to probe a handshake), then prints
// "EXIT ok=.. closed_while_idle=..". Build: gcc -O2 -o idle_clients idle_clients.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum Mode { kModeNodeRedis6, kModeHello3, kModePing, kModeNone, kModeAuto };
enum State { kUnused, kConnecting, kHandshake, kIdle, kDone };

static const char kNodeRedis6Handshake[] =
    "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"
    "*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$7\r\nLIB-VER\r\n$5\r\n6.3.1\r\n"
    "*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$8\r\nLIB-NAME\r\n$10\r\nnode-redis\r\n"
    "*5\r\n$6\r\nCLIENT\r\n$19\r\nMAINT_NOTIFICATIONS\r\n$2\r\nON\r\n"
    "$20\r\nmoving-endpoint-type\r\n$11\r\ninternal-ip\r\n";
static const char kHello3Handshake[] = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n";
static const char kPingHandshake[] = "*1\r\n$4\r\nPING\r\n";

enum { kHandshakeBufCap = 8192 };

struct Conn {
  int fd;
  unsigned char state;
  unsigned char fell_back;
  unsigned char expected;  // replies still to read
  int used;                // bytes in buf
  char *buf;               // only while handshaking
};

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Returns the offset just past one complete RESP2/RESP3 value starting at `pos`, or -1 if the
// buffer does not hold all of it yet, or -2 if the bytes are not RESP.
static long frame(const char *b, long len, long pos, int depth) {
  if (depth > 32) return -2;
  if (pos >= len) return -1;
  const char *eol = memmem(b + pos, len - pos, "\r\n", 2);
  if (!eol) return -1;
  long line_end = (eol - b) + 2;
  char type = b[pos];
  long n;
  switch (type) {
    case '+': case '-': case ':': case '_': case '#': case ',': case '(':
      return line_end;
    case '$': case '!': case '=':
      n = strtol(b + pos + 1, NULL, 10);
      if (n < 0) return line_end;
      return (len >= line_end + n + 2) ? line_end + n + 2 : -1;
    case '*': case '~': case '>': case '%': case '|':
      n = strtol(b + pos + 1, NULL, 10);
      if (n < 0) return line_end;
      if (type == '%' || type == '|') n *= 2;
      pos = line_end;
      for (long i = 0; i < n; i++) {
        pos = frame(b, len, pos, depth + 1);
        if (pos < 0) return pos;
      }
      // An attribute precedes the value it annotates.
      return type == '|' ? frame(b, len, pos, depth + 1) : pos;
    default:
      return -2;
  }
}

static struct Conn *g_conns;
static int g_epfd;
static struct sockaddr_in g_addr;
static enum Mode g_mode;
static long g_ok, g_failed, g_fallback, g_closed_in_handshake, g_closed_while_idle, g_active;

static void release_buf(struct Conn *c) {
  free(c->buf);
  c->buf = NULL;
  c->used = 0;
}

static int start_connect(struct Conn *c, int idx) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  c->fd = fd;
  c->state = kConnecting;
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = (unsigned)idx};
  if (epoll_ctl(g_epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    close(fd);
    return -1;
  }
  g_active++;
  return 0;
}

static void finish(struct Conn *c, int ok) {
  release_buf(c);
  if (ok) {
    c->state = kIdle;
    g_ok++;
    g_active--;
    // Keep watching for the server closing an idle connection.
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (unsigned)(c - g_conns)};
    epoll_ctl(g_epfd, EPOLL_CTL_MOD, c->fd, &ev);
  } else {
    epoll_ctl(g_epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->state = kDone;
    g_failed++;
    g_active--;
  }
}

static void send_handshake(struct Conn *c) {
  enum Mode m = (g_mode == kModeAuto) ? (c->fell_back ? kModePing : kModeNodeRedis6) : g_mode;
  const char *msg = NULL;
  size_t len = 0;
  if (m == kModeNodeRedis6) { msg = kNodeRedis6Handshake; len = sizeof kNodeRedis6Handshake - 1; c->expected = 4; }
  if (m == kModeHello3) { msg = kHello3Handshake; len = sizeof kHello3Handshake - 1; c->expected = 1; }
  if (m == kModePing) { msg = kPingHandshake; len = sizeof kPingHandshake - 1; c->expected = 1; }
  if (m == kModeNone) { finish(c, 1); return; }
  // The handshake is small; a fresh socket's send buffer always takes it whole.
  if (write(c->fd, msg, len) != (ssize_t)len) { finish(c, 0); return; }
  c->buf = malloc(kHandshakeBufCap);
  c->used = 0;
  c->state = kHandshake;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (unsigned)(c - g_conns)};
  epoll_ctl(g_epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

// The server closed a connection mid-handshake: in auto mode retry once with PING.
static void handshake_closed(struct Conn *c, int idx) {
  g_closed_in_handshake++;
  if (g_mode == kModeAuto && !c->fell_back) {
    release_buf(c);
    epoll_ctl(g_epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    g_active--;
    c->fell_back = 1;
    g_fallback++;
    if (start_connect(c, idx) == 0) return;
    c->state = kDone;
    c->fd = -1;
    g_failed++;
    return;
  }
  finish(c, 0);
}

static void on_readable(struct Conn *c, int idx) {
  for (;;) {
    if (c->used >= kHandshakeBufCap) { finish(c, 0); return; }
    ssize_t n = read(c->fd, c->buf + c->used, kHandshakeBufCap - c->used);
    if (n == 0) { handshake_closed(c, idx); return; }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      handshake_closed(c, idx);
      return;
    }
    c->used += (int)n;
  }
  long pos = 0;
  while (c->expected > 0) {
    long end = frame(c->buf, c->used, pos, 0);
    if (end == -1) break;
    if (end == -2) { finish(c, 0); return; }
    pos = end;
    c->expected--;
  }
  if (c->expected == 0) { finish(c, 1); return; }
  memmove(c->buf, c->buf + pos, c->used - pos);
  c->used -= (int)pos;
}

static void on_event(int idx, unsigned events) {
  struct Conn *c = &g_conns[idx];
  if (c->state == kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) { finish(c, 0); return; }
    if (events & EPOLLOUT) send_handshake(c);
    return;
  }
  if (c->state == kHandshake) { on_readable(c, idx); return; }
  if (c->state == kIdle) {
    // An idle client expects nothing; drain anything pushed and notice a close.
    char sink[512];
    ssize_t n = read(c->fd, sink, sizeof sink);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      epoll_ctl(g_epfd, EPOLL_CTL_DEL, c->fd, NULL);
      close(c->fd);
      c->fd = -1;
      c->state = kDone;
      g_closed_while_idle++;
      g_ok--;
    }
  }
}

static enum Mode parse_mode(const char *s) {
  if (!strcmp(s, "node-redis6")) return kModeNodeRedis6;
  if (!strcmp(s, "hello3")) return kModeHello3;
  if (!strcmp(s, "ping")) return kModePing;
  if (!strcmp(s, "none")) return kModeNone;
  if (!strcmp(s, "auto")) return kModeAuto;
  fprintf(stderr, "idle_clients: unknown mode '%s' (node-redis6|hello3|ping|none|auto)\n", s);
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s HOST PORT N MODE [CONCURRENCY] [READY_TIMEOUT_S] [MAX_LIFE_S]\n", argv[0]);
    return 2;
  }
  long total = strtol(argv[3], NULL, 10);
  g_mode = parse_mode(argv[4]);
  long concurrency = argc > 5 ? strtol(argv[5], NULL, 10) : 256;
  double ready_timeout = argc > 6 ? strtod(argv[6], NULL) : 120;
  double max_life = argc > 7 ? strtod(argv[7], NULL) : 900;
  if (total <= 0 || concurrency <= 0) { fprintf(stderr, "idle_clients: bad N or CONCURRENCY\n"); return 2; }

  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if ((rlim_t)total + 16 > rl.rlim_cur) {
    fprintf(stderr, "idle_clients: N=%ld needs more descriptors than RLIMIT_NOFILE=%lu\n", total,
            (unsigned long)rl.rlim_cur);
    return 2;
  }

  memset(&g_addr, 0, sizeof g_addr);
  g_addr.sin_family = AF_INET;
  g_addr.sin_port = htons((unsigned short)strtol(argv[2], NULL, 10));
  if (inet_pton(AF_INET, argv[1], &g_addr.sin_addr) != 1) { fprintf(stderr, "idle_clients: bad host\n"); return 2; }

  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  g_conns = calloc((size_t)total, sizeof *g_conns);
  g_epfd = epoll_create1(EPOLL_CLOEXEC);

  double start = now_s();
  long next = 0;
  int ready_printed = 0;
  struct epoll_event events[512];
  while (!g_stop) {
    while (next < total && g_active < concurrency) {
      g_conns[next].fd = -1;
      if (start_connect(&g_conns[next], (int)next) < 0) { g_conns[next].state = kDone; g_failed++; }
      next++;
    }
    double elapsed = now_s() - start;
    if (!ready_printed && ((next >= total && g_active == 0) || elapsed > ready_timeout)) {
      printf("READY ok=%ld failed=%ld fallback=%ld closed_in_handshake=%ld pending=%ld elapsed_ms=%.0f\n", g_ok,
             g_failed, g_fallback, g_closed_in_handshake, g_active + (total - next), elapsed * 1000);
      fflush(stdout);
      ready_printed = 1;
    }
    if (ready_printed && max_life <= 0) break;  // probe mode: report the handshake and leave
    if (max_life > 0 && elapsed > max_life) break;
    int n = epoll_wait(g_epfd, events, 512, 200);
    for (int i = 0; i < n; i++) {
      on_event((int)events[i].data.u32, events[i].events);
    }
  }
  printf("EXIT ok=%ld closed_while_idle=%ld\n", g_ok, g_closed_while_idle);
  fflush(stdout);
  for (long i = 0; i < total; i++)
    if (g_conns[i].fd > 0) close(g_conns[i].fd);
  return 0;
}
