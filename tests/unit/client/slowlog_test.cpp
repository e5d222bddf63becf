// FUNNEL SLOWLOG's pure parts against redis-server 7.0's SLOWLOG (slowlog.c; checked on a real
// server): arguments cut at 32 (the 32nd says how many more) and at 128 bytes each, entries
// merged across workers by id, newest first, at most max_len kept.
#include "client/slowlog.hpp"

#include <gtest/gtest.h>

namespace funnel::client {
namespace {

std::vector<std::string_view> views(const std::vector<std::string>& strings) {
  return {strings.begin(), strings.end()};
}

std::vector<std::string> numbered(const std::string& first, std::size_t n) {
  std::vector<std::string> args{first};
  for (std::size_t i = 1; i < n; ++i) args.push_back(std::to_string(i));
  return args;
}

TEST(SlowlogArguments, CutAsRedisCutsThem) {
  struct Row {
    const char* what;
    std::vector<std::string> argv;
    std::size_t size;
    std::string last;
  };
  const std::string a200(200, 'a');
  const Row rows[] = {
      {"short request kept whole", {"GET", "k"}, 2, "k"},
      {"128 bytes kept whole", {"SET", "k", std::string(128, 'a')}, 3, std::string(128, 'a')},
      {"129 bytes cut",
       {"SET", "k", std::string(129, 'a')},
       3,
       std::string(128, 'a') + "... (1 more bytes)"},
      {"200 bytes cut (redis: 72 more)",
       {"SET", "k", a200},
       3,
       std::string(128, 'a') + "... (72 more bytes)"},
      {"32 arguments kept", numbered("RPUSH", 32), 32, "31"},
      {"33 arguments: the 32nd counts 2", numbered("RPUSH", 33), 32, "... (2 more arguments)"},
      {"42 arguments (redis: 11 more)", numbered("RPUSH", 42), 32, "... (11 more arguments)"},
      {"empty", {}, 0, ""},
  };
  for (const Row& row : rows) {
    const auto argv = views(row.argv);
    const auto cut = slowlog_arguments(argv);
    ASSERT_EQ(cut.size(), row.size) << row.what;
    if (!cut.empty()) {
      EXPECT_EQ(cut.back(), row.last) << row.what;
    }
  }
}

TEST(SlowlogArguments, FromRequestBytes) {
  EXPECT_EQ(slowlog_arguments_of("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
            (std::vector<std::string>{"GET", "k"}));
  EXPECT_EQ(slowlog_arguments_of("PING\r\n"), (std::vector<std::string>{"PING"}));
  EXPECT_TRUE(slowlog_arguments_of("*2\r\n$3\r\nGE").empty());
  EXPECT_TRUE(slowlog_arguments_of("").empty());
}

SlowEntry entry(const std::string& arg) {
  SlowEntry e;
  e.args = {arg};
  return e;
}

TEST(SlowLog, MergesWorkersNewestFirstAndBoundsLength) {
  SlowLog log(2, 3);
  log.add(0, entry("a"));
  log.add(1, entry("b"));
  log.add(0, entry("c"));
  log.add(1, entry("d"));
  EXPECT_EQ(log.size(), 3u);
  const auto all = log.newest(SIZE_MAX);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].args[0], "d");
  EXPECT_EQ(all[0].id, 3u);
  EXPECT_EQ(all[1].args[0], "c");
  EXPECT_EQ(all[2].args[0], "b");
  EXPECT_EQ(log.newest(1).size(), 1u);
  EXPECT_EQ(log.newest(0).size(), 0u);
  log.reset();
  EXPECT_EQ(log.size(), 0u);
  log.add(0, entry("e"));
  EXPECT_EQ(log.newest(10).at(0).id, 4u);  // ids go on after RESET, as Redis's do
}

TEST(SlowLog, EachWorkerRingDropsItsOldest) {
  SlowLog log(1, 2);
  for (const char* arg : {"a", "b", "c"}) log.add(0, entry(arg));
  const auto all = log.newest(10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].args[0], "b");
}

TEST(SlowLog, MaxLenZeroKeepsNothing) {
  SlowLog log(1, 0);
  log.add(0, entry("a"));
  EXPECT_EQ(log.size(), 0u);
}

// A reload's limits.slowlog_max_len (issue #17, item 1): shrinking keeps the newest entries of
// each ring, growing keeps what is there and lets it grow, 0 empties and stops the log.
TEST(SlowLog, ResizeKeepsTheNewest) {
  SlowLog log(2, 4);
  for (const char* arg : {"a", "b", "c", "d"}) log.add(0, entry(arg));
  log.add(1, entry("e"));
  log.resize(2);
  auto all = log.newest(10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].args[0], "e");
  EXPECT_EQ(all[1].args[0], "d");
  log.resize(5);
  for (const char* arg : {"f", "g", "h"}) log.add(0, entry(arg));
  all = log.newest(10);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].args[0], "h");
  EXPECT_EQ(all[4].args[0], "d");  // d survived the shrink, e is in worker 1's ring
  log.resize(0);
  EXPECT_EQ(log.size(), 0u);
  log.add(0, entry("i"));
  EXPECT_EQ(log.size(), 0u);
}

}  // namespace
}  // namespace funnel::client
