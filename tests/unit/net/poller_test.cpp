// net::Poller's batch end (issue #20): a target that closes on an event is released once every
// event of the batch has been handed out, with no posted handler, so a later event in the same
// batch never finds it deleted.
#include "net/poller.hpp"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace funnel::net {
namespace {

struct Recorder : PollTarget {
  Recorder(Poller& p, std::vector<std::string>& log, std::string n, bool release)
      : poller(p), calls(log), name(std::move(n)), release_on_event(release) {}
  void on_poll_events(std::uint32_t) override {
    calls.push_back(name + " event");
    if (release_on_event && poller.in_batch()) poller.after_batch(this);
  }
  void on_batch_end() override { calls.push_back(name + " batch end"); }
  Poller& poller;
  std::vector<std::string>& calls;
  std::string name;
  bool release_on_event;
};

TEST(Poller, TargetsAskingDuringABatchAreCalledOnceAfterIt) {
  asio::io_context io;
  Poller poller(io);
  ASSERT_TRUE(poller.ok());
  std::vector<std::string> calls;
  Recorder first(poller, calls, "first", true);
  Recorder second(poller, calls, "second", false);
  const int fd_first = ::eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);  // readable at once
  const int fd_second = ::eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_TRUE(poller.add(fd_first, &first));
  ASSERT_TRUE(poller.add(fd_second, &second));
  EXPECT_FALSE(poller.in_batch());
  poller.start();
  io.run_one();  // the poller's wait completes: one batch with both events
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls.back(), "first batch end") << "released before the batch was over";
  EXPECT_FALSE(poller.in_batch());
  poller.stop();
  ::close(fd_first);
  ::close(fd_second);
}

}  // namespace
}  // namespace funnel::net
