// Pipeline: the in-flight FIFO keeps write order, expires late entries in place, and drains.
#include "backend/pipeline.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace funnel::backend {
namespace {

InFlight entry(std::uint64_t seq, common::Millis deadline) {
  InFlight e;
  e.target.seq = seq;
  e.deadline = deadline;
  return e;
}

TEST(Pipeline, KeepsWriteOrder) {
  Pipeline pipeline;
  for (std::uint64_t i = 0; i < 100; ++i) pipeline.push(entry(i, 1000));
  for (std::uint64_t i = 0; i < 100; ++i) {
    ASSERT_FALSE(pipeline.empty());
    EXPECT_EQ(pipeline.front().target.seq, i);
    pipeline.pop();
  }
  EXPECT_TRUE(pipeline.empty());
}

TEST(Pipeline, ExpiredEntriesStayInPlaceAndAreReportedOnce) {
  Pipeline pipeline;
  pipeline.push(entry(1, 100));
  pipeline.push(entry(2, 300));
  pipeline.push(entry(3, 50));
  std::vector<std::uint64_t> expired;
  pipeline.expire(200, [&](const InFlight& e) { expired.push_back(e.target.seq); });
  EXPECT_EQ(expired, (std::vector<std::uint64_t>{1, 3}));
  pipeline.expire(250, [&](const InFlight& e) { expired.push_back(e.target.seq); });
  EXPECT_EQ(expired.size(), 2u);  // not reported twice
  EXPECT_EQ(pipeline.size(), 3u);
  EXPECT_TRUE(pipeline.front().abandoned);
  EXPECT_FALSE(pipeline.at(1).abandoned);
}

TEST(Pipeline, DrainSkipsAbandonedEntries) {
  Pipeline pipeline;
  pipeline.push(entry(1, 10));
  pipeline.push(entry(2, 1000));
  pipeline.expire(100, [](const InFlight&) {});
  std::vector<std::uint64_t> drained;
  pipeline.drain([&](const InFlight& e) { drained.push_back(e.target.seq); });
  EXPECT_EQ(drained, (std::vector<std::uint64_t>{2}));
  EXPECT_TRUE(pipeline.empty());
}

TEST(Pipeline, ABlockEntryTakesAllItsRepliesAndOnlyTheLastIsTheClients) {
  Pipeline pipeline;
  InFlight block = entry(7, 1000);
  block.target.extra_replies = 3;  // MULTI, two commands, EXEC: four replies
  pipeline.push(block);
  pipeline.push(entry(8, 1000));
  EXPECT_FALSE(pipeline.take_reply());  // +OK for MULTI
  EXPECT_FALSE(pipeline.take_reply());  // +QUEUED
  EXPECT_FALSE(pipeline.take_reply());  // +QUEUED
  EXPECT_EQ(pipeline.front().target.seq, 7u);
  EXPECT_TRUE(pipeline.take_reply());  // EXEC's reply: the client's
  pipeline.pop();
  EXPECT_TRUE(pipeline.take_reply());  // an ordinary entry: its first reply is its last
  EXPECT_EQ(pipeline.front().target.seq, 8u);
}

TEST(Pipeline, ABlockWrittenAgainStartsCountingItsRepliesOver) {
  Pipeline pipeline;
  InFlight block = entry(1, 1000);
  block.target.extra_replies = 2;
  pipeline.push(block);
  EXPECT_FALSE(pipeline.take_reply());
  pipeline.restart_front();  // the link reconnected before EXEC was written
  EXPECT_FALSE(pipeline.take_reply());
  EXPECT_FALSE(pipeline.take_reply());
  EXPECT_TRUE(pipeline.take_reply());
}

// A reply being streamed is arriving: the deadline of its entry no longer applies (an error
// after part of a reply would corrupt the client's stream).
TEST(Pipeline, StreamingEntryDoesNotExpire) {
  Pipeline pipeline;
  InFlight entry;
  entry.target.seq = 1;
  entry.deadline = 100;
  pipeline.push(entry);
  pipeline.front().streaming = true;
  int expired = 0;
  pipeline.expire(500, [&](const InFlight&) { ++expired; });
  EXPECT_EQ(expired, 0);
  EXPECT_FALSE(pipeline.front().abandoned);
}

// backend.max_in_flight_per_link: writing stops at the end of the bound-th unanswered entry.
TEST(Pipeline, WriteLimitStopsAfterTheBoundthEntry) {
  Pipeline pipeline;
  // Five requests of 10 bytes at offsets 100..150, then 7 untracked bytes (end 157).
  for (std::uint64_t i = 0; i < 5; ++i) {
    InFlight e = entry(i, 1000);
    e.begin = 100 + i * 10;
    e.end = e.begin + 10;
    pipeline.push(e);
  }
  struct Case {
    std::size_t bound;
    std::uint64_t limit;
  };
  const Case cases[] = {
      {0, 157},  // no bound: everything
      {1, 110},  // only the first
      {3, 130},  //
      {5, 157},  // as many as there are: everything
      {9, 157},
  };
  for (const Case& c : cases) EXPECT_EQ(pipeline.write_limit(157, c.bound), c.limit) << c.bound;
  pipeline.pop();  // the first is answered: one more may go
  EXPECT_EQ(pipeline.write_limit(157, 3), 140u);
  EXPECT_EQ(pipeline.write_limit(135, 3), 135u);  // never past the output's end
}

// The wait histogram's source: only entries the bound held back report when they are written,
// each once, with the time they were stamped; the others are stamped silently.
TEST(Pipeline, EntriesTheBoundHeldBackReportTheirWaitWhenWritten) {
  Pipeline pipeline;
  for (std::uint64_t i = 0; i < 5; ++i) {
    InFlight e = entry(i, 1000);
    e.begin = 100 + i * 10;
    e.end = e.begin + 10;
    pipeline.push(e);
  }
  std::vector<std::uint64_t> waited;
  const auto note = [&](const InFlight& e) { waited.push_back(e.target.seq); };
  ASSERT_EQ(pipeline.write_limit(150, 2), 120u);
  pipeline.note_held(2);  // entries 2, 3, 4 wait
  pipeline.mark_written(120, 7, note);
  EXPECT_TRUE(waited.empty()) << "the first two were written at once";
  pipeline.pop();  // entry 0 answered: entry 2 may go
  pipeline.mark_written(130, 9, note);
  EXPECT_EQ(waited, (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(pipeline.at(1).written_ns, 9);
  pipeline.mark_written(150, 11, note);  // the rest together
  EXPECT_EQ(waited, (std::vector<std::uint64_t>{2, 3, 4}));
  // Nothing held any more: a new entry written at once reports nothing.
  InFlight e = entry(5, 1000);
  e.begin = 150;
  e.end = 160;
  pipeline.push(e);
  pipeline.mark_written(160, 12, note);
  EXPECT_EQ(waited.size(), 3u);
}

}  // namespace
}  // namespace funnel::backend
