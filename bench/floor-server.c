// floor-server: the cheapest server a connection per request can talk to, as the floor for issue
// #20's benchmarks (bench/invocation-path.sh). One thread, one epoll set, level-triggered:
// accept4, read, write fixed replies, close. Whatever it spends per connection is the kernel's
// share (TCP set-up and tear-down, the system calls), which no proxy can go below with epoll.
//
//   floor-server PORT [HOST]          (HOST defaults to 127.0.0.1; runs until SIGTERM/SIGINT)
//
// It frames RESP arrays of bulk strings (what clients send) and answers each command with fixed
// bytes, the same bytes Funnel answers the same commands with, so that a client cannot tell it
// from a server holding no keys:
//   HELLO 3             redis-server 7.0's HELLO 3 map (and RESP3 nulls from then on)
//   CLIENT SETINFO ...  +OK
//   CLIENT other        Redis 7.0's "unknown subcommand" error (MAINT_NOTIFICATIONS)
//   GET, HGET           a null ($-1, or _ after HELLO 3)
//   QUIT                +OK, then close
//   PING                +PONG
//   CONFIG              *0 (redis-benchmark asks for save/appendonly at start)
//   anything else       +OK
// Inline commands and malformed input close the connection. Not a server: no keys, no limits
// beyond the buffer below, loopback benchmarks only.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kMaxFds = 65536, kBufCap = 4096, kOutCap = 16384, kBatch = 256 };

static const char kHello3[] =
    "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"
    "$2\r\nid\r\n:3\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
    "$7\r\nmodules\r\n*0\r\n";
static const char kMaintError[] =
    "-ERR unknown subcommand 'MAINT_NOTIFICATIONS'. Try CLIENT HELP.\r\n";

// Per descriptor: the bytes of a request not complete yet, and the protocol it asked for.
struct Conn {
  unsigned short used;
  unsigned char resp3;
  char buf[kBufCap];
};
static struct Conn* g_conns;
static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

// Reads "<prefix><digits>\r\n" at b[*pos]; returns the number, -1 if incomplete, -2 if malformed.
static long read_len(const char* b, long len, long* pos, char prefix) {
  if (*pos >= len) return -1;
  if (b[*pos] != prefix) return -2;
  long n = 0, i = *pos + 1;
  for (; i < len && b[i] >= '0' && b[i] <= '9'; ++i) n = n * 10 + (b[i] - '0');
  if (i + 1 >= len) return -1;
  if (b[i] != '\r' || b[i + 1] != '\n' || n > kBufCap) return -2;
  *pos = i + 2;
  return n;
}

struct Command {
  const char* arg[2];
  long arg_len[2];
};

// Frames one command at b[pos]: returns its end, -1 if incomplete, -2 if malformed.
static long frame_command(const char* b, long len, long pos, struct Command* cmd) {
  long argc = read_len(b, len, &pos, '*');
  if (argc < 1) return argc == 0 ? -2 : argc;
  for (long i = 0; i < argc; ++i) {
    long n = read_len(b, len, &pos, '$');
    if (n < 0) return n;
    if (pos + n + 2 > len) return -1;
    if (i < 2) {
      cmd->arg[i] = b + pos;
      cmd->arg_len[i] = n;
    }
    pos += n + 2;
  }
  if (argc < 2) cmd->arg_len[1] = 0;
  return pos;
}

static int is(const char* arg, long len, const char* name) {
  return len == (long)strlen(name) && strncasecmp(arg, name, len) == 0;
}

static long append(char* out, long used, const char* bytes, long n) {
  if (used + n > kOutCap) return used;  // a client pipelining that much is not this benchmark
  memcpy(out + used, bytes, n);
  return used + n;
}

// Appends the reply to one command; returns 1 when the connection is to close after it.
static int answer(struct Conn* c, const struct Command* cmd, char* out, long* used) {
  const char* name = cmd->arg[0];
  long len = cmd->arg_len[0];
  if (is(name, len, "GET") || is(name, len, "HGET")) {
    *used = c->resp3 ? append(out, *used, "_\r\n", 3) : append(out, *used, "$-1\r\n", 5);
  } else if (is(name, len, "HELLO")) {
    c->resp3 = cmd->arg_len[1] == 1 && cmd->arg[1][0] == '3';
    *used = append(out, *used, kHello3, sizeof kHello3 - 1);
  } else if (is(name, len, "CLIENT")) {
    if (is(cmd->arg[1], cmd->arg_len[1], "SETINFO")) {
      *used = append(out, *used, "+OK\r\n", 5);
    } else {
      *used = append(out, *used, kMaintError, sizeof kMaintError - 1);
    }
  } else if (is(name, len, "QUIT")) {
    *used = append(out, *used, "+OK\r\n", 5);
    return 1;
  } else if (is(name, len, "PING")) {
    *used = append(out, *used, "+PONG\r\n", 7);
  } else if (is(name, len, "CONFIG")) {
    *used = append(out, *used, "*0\r\n", 4);
  } else {
    *used = append(out, *used, "+OK\r\n", 5);
  }
  return 0;
}

// One read's worth: frame every complete command, answer them in one write. Returns 1 to close.
static int serve(int fd) {
  struct Conn* c = &g_conns[fd];
  ssize_t n = read(fd, c->buf + c->used, kBufCap - c->used);
  if (n <= 0) return n < 0 && errno == EAGAIN ? 0 : 1;
  long len = c->used + n, pos = 0, end = 0;
  static char out[kOutCap];
  long out_used = 0;
  int quit = 0;
  struct Command cmd;
  while (!quit && (end = frame_command(c->buf, len, pos, &cmd)) > 0) {
    quit = answer(c, &cmd, out, &out_used);
    pos = end;
  }
  if (end == -2 || (end == -1 && pos == 0 && len == kBufCap)) return 1;
  if (out_used > 0 && write(fd, out, out_used) != out_used) return 1;  // loopback: whole or dead
  memmove(c->buf, c->buf + pos, len - pos);
  c->used = (unsigned short)(len - pos);
  return quit;
}

static int listen_on(const char* host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int on = 1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (fd < 0 || inet_pton(AF_INET, host, &addr.sin_addr) != 1) return -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // accepted sockets inherit it
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(fd, 4096) != 0) return -1;
  return fd;
}

static void accept_all(int epfd, int listen_fd) {
  for (;;) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (fd >= kMaxFds) {
      close(fd);
      continue;
    }
    g_conns[fd].used = 0;
    g_conns[fd].resp3 = 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) close(fd);
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: floor-server PORT [HOST]\n");
    return 2;
  }
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  g_conns = calloc(kMaxFds, sizeof *g_conns);
  int listen_fd = listen_on(argc > 2 ? argv[2] : "127.0.0.1", atoi(argv[1]));
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (!g_conns || listen_fd < 0 || epfd < 0) {
    perror("floor-server");
    return 1;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listen_fd};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
  struct epoll_event events[kBatch];
  while (!g_stop) {
    int n = epoll_wait(epfd, events, kBatch, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listen_fd) {
        accept_all(epfd, listen_fd);
      } else if (serve(fd)) {
        close(fd);  // also leaves the epoll set: nothing else holds the descriptor
      }
    }
  }
  return 0;
}
