// parse_redirect: the cluster errors Funnel follows. Texts as redis-server 7.0.15 sends them
// (`-MOVED 12182 127.0.0.1:27103` from a 3-shard cluster), and the forms that must be left alone.
#include "routing/redirect.hpp"

#include <gtest/gtest.h>

namespace funnel::routing {
namespace {

TEST(Redirect, Table) {
  const struct {
    std::string_view reply;
    RedirectKind kind;
    std::uint16_t slot;
    std::string_view host;
    std::uint16_t port;
  } cases[] = {
      {"-MOVED 12182 127.0.0.1:27103\r\n", RedirectKind::kMoved, 12182, "127.0.0.1", 27103},
      {"-ASK 3999 10.0.0.2:6381\r\n", RedirectKind::kAsk, 3999, "10.0.0.2", 6381},
      {"-MOVED 0 redis.example.com:6379\r\n", RedirectKind::kMoved, 0, "redis.example.com", 6379},
      {"-MOVED 16383 ::1:7000\r\n", RedirectKind::kMoved, 16383, "::1", 7000},
      {"-MOVED 5 :7000\r\n", RedirectKind::kMoved, 5, "", 7000},  // unknown endpoint
      {"-TRYAGAIN Multiple keys request during rehashing of slot\r\n", RedirectKind::kTryAgain, 0,
       "", 0},
      {"-CLUSTERDOWN The cluster is down\r\n", RedirectKind::kClusterDown, 0, "", 0},
      {"-CLUSTERDOWN Hash slot not served\r\n", RedirectKind::kClusterDown, 0, "", 0},
      // Left alone: not ours, or not well formed.
      {"-MOVED 16384 127.0.0.1:1\r\n", RedirectKind::kNone, 0, "", 0},
      {"-MOVED -1 127.0.0.1:1\r\n", RedirectKind::kNone, 0, "", 0},
      {"-MOVED 1 127.0.0.1:0\r\n", RedirectKind::kNone, 0, "", 0},
      {"-MOVED 1 127.0.0.1:65536\r\n", RedirectKind::kNone, 0, "", 0},
      {"-MOVED 1 127.0.0.1\r\n", RedirectKind::kNone, 0, "", 0},
      {"-MOVED 1 a:1 extra\r\n", RedirectKind::kNone, 0, "", 0},
      {"-MOVED\r\n", RedirectKind::kNone, 0, "", 0},
      {"-MOVEDX 1 a:1\r\n", RedirectKind::kNone, 0, "", 0},
      {"-ASKING\r\n", RedirectKind::kNone, 0, "", 0},
      {"-TRYAGAINX\r\n", RedirectKind::kNone, 0, "", 0},
      {"-CROSSSLOT Keys in request don't hash to the same slot\r\n", RedirectKind::kNone, 0, "", 0},
      {"+MOVED 1 a:1\r\n", RedirectKind::kNone, 0, "", 0},
      {"$5\r\nMOVED\r\n", RedirectKind::kNone, 0, "", 0},
      {"-ERR MOVED 1 a:1\r\n", RedirectKind::kNone, 0, "", 0},
      {"-MOVED 1 a:1", RedirectKind::kNone, 0, "", 0},  // not a whole reply
  };
  for (const auto& c : cases) {
    const Redirect r = parse_redirect(c.reply);
    EXPECT_EQ(r.kind, c.kind) << c.reply;
    EXPECT_EQ(r.slot, c.slot) << c.reply;
    EXPECT_EQ(r.host, c.host) << c.reply;
    EXPECT_EQ(r.port, c.port) << c.reply;
  }
}

}  // namespace
}  // namespace funnel::routing
