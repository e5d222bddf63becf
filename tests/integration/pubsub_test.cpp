// Pub/sub through Funnel against a real redis-server: (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE reply
// byte for byte as a direct connection does (RESP2 and RESP3), messages arrive, RESP2 subscribe
// mode refuses other commands with Redis's text, a RESP3 client mixes ordinary commands with
// pushes, many subscribers on every worker share one backend subscriber link, a slow subscriber
// is cut off while the others keep receiving, and subscriptions come back after a backend restart.
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "support/temp_dir.hpp"

namespace funnel::test {
namespace {

using Commands = std::vector<std::vector<std::string>>;

// One step of a script: a command and how many reply frames it produces.
struct Step {
  std::vector<std::string> command;
  int frames = 1;
};

// Runs the script on `c`, returning every reply frame's exact bytes, one string per step.
std::vector<std::string> run_script(RespConnection& c, const std::vector<Step>& script) {
  std::vector<std::string> replies;
  for (const Step& step : script) {
    c.send_command(step.command);
    std::string bytes;
    for (int i = 0; i < step.frames; ++i) bytes += c.read_raw_reply();
    replies.push_back(bytes);
  }
  return replies;
}

void expect_same_as_direct(RespConnection& direct, RespConnection& proxied,
                           const std::vector<Step>& script) {
  const auto want = run_script(direct, script);
  const auto got = run_script(proxied, script);
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    std::string command;
    for (const auto& arg : script[i].command) command += arg + " ";
    EXPECT_EQ(printable(got[i]), printable(want[i])) << "step " << i << ": " << command;
  }
}

// Publishes on the backend directly (not through Funnel) and returns PUBLISH's count.
long long publish_direct(std::uint16_t redis_port, const std::string& channel,
                         const std::string& message, const char* command = "PUBLISH") {
  RespConnection direct(redis_port);
  return direct.command({command, channel, message}).integer;
}

std::string message_bytes(const char* header, const std::string& word,
                          const std::vector<std::string>& parts) {
  std::string out = header;
  out += "\r\n$" + std::to_string(word.size()) + "\r\n" + word + "\r\n";
  for (const auto& part : parts) out += "$" + std::to_string(part.size()) + "\r\n" + part + "\r\n";
  return out;
}

class PubsubTest : public ProxyFixture {};

TEST_F(PubsubTest, Resp2RepliesAreByteIdenticalToRedis) {
  start();
  RespConnection direct(redis_->port());
  RespConnection proxied(funnel_->port());
  // Multi-channel UNSUBSCRIBE without arguments answers in Redis's hash order, so the script
  // only ever leaves one channel for it.
  expect_same_as_direct(direct, proxied,
                        {{{"UNSUBSCRIBE"}},
                         {{"PUNSUBSCRIBE"}},
                         {{"SUNSUBSCRIBE"}},
                         {{"UNSUBSCRIBE", "x", "y"}, 2},
                         {{"SUBSCRIBE", "a", "b", "a"}, 3},
                         {{"PSUBSCRIBE", "p*", "a"}, 2},
                         {{"SSUBSCRIBE", "s1", "s2"}, 2},
                         {{"PING"}},
                         {{"PING", "hi"}},
                         {{"PING", "a", "b"}},
                         {{"GET", "x"}},
                         {{"CLIENT", "ID"}},
                         {{"HELLO", "3"}},
                         {{"NOSUCHCOMMAND"}},
                         {{"SUBSCRIBE"}},
                         {{"UNSUBSCRIBE", "zz"}},
                         {{"PUNSUBSCRIBE", "a"}},
                         {{"PUNSUBSCRIBE"}},
                         {{"SUNSUBSCRIBE", "s1"}},
                         {{"UNSUBSCRIBE", "a"}},
                         {{"UNSUBSCRIBE"}},
                         {{"GET", "x"}},  // still in subscribe mode: s2 is left
                         {{"SUNSUBSCRIBE"}},
                         {{"GET", "pubsub:none"}},
                         {{"UNSUBSCRIBE"}},
                         {{"SUBSCRIBE", "again"}},
                         {{"PUNSUBSCRIBE"}},  // none of its kind: null, yet the channel counts
                         {{"SUNSUBSCRIBE"}},
                         {{"SSUBSCRIBE", "x"}},
                         {{"UNSUBSCRIBE", "again"}},
                         {{"UNSUBSCRIBE"}},  // still in subscribe mode through the shard channel
                         {{"GET", "x"}},
                         {{"RESET"}},
                         {{"GET", "pubsub:none"}}});
}

TEST_F(PubsubTest, Resp3RepliesAreByteIdenticalToRedis) {
  start();
  RespConnection direct(redis_->port());
  RespConnection proxied(funnel_->port());
  for (RespConnection* c : {&direct, &proxied}) c->command({"HELLO", "3"});  // ids differ
  expect_same_as_direct(direct, proxied,
                        {{{"UNSUBSCRIBE"}},
                         {{"PUNSUBSCRIBE"}},
                         {{"SUNSUBSCRIBE"}},
                         {{"SUBSCRIBE", "a", "b"}, 2},
                         {{"PING"}},
                         {{"GET", "pubsub:none"}},
                         {{"SET", "pubsub:k", "v"}},
                         {{"GET", "pubsub:k"}},
                         {{"SSUBSCRIBE", "s1"}},
                         {{"PSUBSCRIBE", "p*"}},
                         {{"UNSUBSCRIBE", "a"}},
                         {{"UNSUBSCRIBE"}},
                         {{"PUNSUBSCRIBE"}},
                         {{"SUNSUBSCRIBE", "s1", "s9"}, 2},
                         {{"SUBSCRIBE", "c"}}});
  // A RESP3 subscriber may switch back to RESP2 (the HELLO replies differ by client id)...
  for (RespConnection* c : {&direct, &proxied}) c->command({"HELLO", "2"});
  // ...and is then in RESP2 subscribe mode.
  expect_same_as_direct(direct, proxied, {{{"GET", "x"}}, {{"PING"}}, {{"RESET"}}, {{"PING"}}});
}

// CLIENT REPLY OFF and SKIP silence replies, not pub/sub pushes: Redis 7 sends every
// (un)subscribe confirmation and every message whatever the mode, in RESP2 and RESP3, and drops
// the rest (PING, errors). Compared byte for byte with a direct connection.
TEST_F(PubsubTest, RepliesOffOrSkippedStillDeliverPubsubAsRedis) {
  start();
  for (const char* protocol : {"2", "3"}) {
    SCOPED_TRACE(std::string("RESP") + protocol);
    RespConnection direct(redis_->port());
    RespConnection proxied(funnel_->port());
    for (RespConnection* c : {&direct, &proxied}) c->command({"HELLO", protocol});  // ids differ
    expect_same_as_direct(direct, proxied,
                          {{{"CLIENT", "REPLY", "OFF"}, 0},
                           {{"SUBSCRIBE", "a", "b"}, 2},
                           {{"PSUBSCRIBE", "p*"}, 1},
                           {{"PING"}, 0},
                           {{"GET", "x"}, 0}});
    // A message published meanwhile reaches both (the direct client is a subscriber too).
    RespConnection publisher(redis_->port());
    publisher.command({"PUBLISH", "a", "hi"});
    EXPECT_EQ(printable(proxied.read_raw_reply()), printable(direct.read_raw_reply()));
    expect_same_as_direct(direct, proxied,
                          {{{"UNSUBSCRIBE", "a"}, 1},
                           {{"UNSUBSCRIBE"}, 1},
                           {{"PUNSUBSCRIBE"}, 1},
                           {{"PUNSUBSCRIBE"}, 1},
                           {{"SUBSCRIBE"}, 0},  // an arity error: a reply, so dropped
                           {{"CLIENT", "REPLY", "ON"}, 1},
                           {{"CLIENT", "REPLY", "SKIP"}, 0},
                           {{"SUBSCRIBE", "c"}, 1},
                           {{"PING"}, 1},
                           {{"UNSUBSCRIBE"}, 1},
                           {{"CLIENT", "REPLY", "SKIP"}, 0},
                           {{"UNSUBSCRIBE"}, 1},
                           {{"PING"}, 1}});
  }
}

TEST_F(PubsubTest, MessagesArriveAsFromRedis) {
  start();
  RespConnection resp2(funnel_->port());
  RespConnection resp3(funnel_->port());
  resp3.command({"HELLO", "3"});
  for (RespConnection* c : {&resp2, &resp3}) {
    c->send_command({"SUBSCRIBE", "news"});
    c->read_raw_reply();
    c->send_command({"PSUBSCRIBE", "n*"});
    c->read_raw_reply();
    c->send_command({"SSUBSCRIBE", "shard"});
    c->read_raw_reply();
  }
  // The backend sees one receiver: the shared subscriber link.
  EXPECT_EQ(publish_direct(redis_->port(), "news", "hello"), 2);  // channel and pattern
  EXPECT_EQ(publish_direct(redis_->port(), "shard", "s-msg", "SPUBLISH"), 1);
  EXPECT_EQ(resp2.read_raw_reply(), message_bytes("*3", "message", {"news", "hello"}));
  EXPECT_EQ(resp2.read_raw_reply(), message_bytes("*4", "pmessage", {"n*", "news", "hello"}));
  EXPECT_EQ(resp2.read_raw_reply(), message_bytes("*3", "smessage", {"shard", "s-msg"}));
  EXPECT_EQ(resp3.read_raw_reply(), message_bytes(">3", "message", {"news", "hello"}));
  EXPECT_EQ(resp3.read_raw_reply(), message_bytes(">4", "pmessage", {"n*", "news", "hello"}));
  EXPECT_EQ(resp3.read_raw_reply(), message_bytes(">3", "smessage", {"shard", "s-msg"}));
  // Binary-safe payloads, published through Funnel itself.
  RespConnection publisher(funnel_->port());
  const std::string binary("a\r\nb\0c", 6);
  EXPECT_EQ(publisher.command({"PUBLISH", "news", binary}).integer, 4);  // as Redis counts
  EXPECT_EQ(resp2.read_raw_reply(), message_bytes("*3", "message", {"news", binary}));
}

// PUBLISH, SPUBLISH and PUBSUB NUMSUB / SHARDNUMSUB through Funnel count receivers as a direct
// connection would: every client behind Funnel's one subscriber link counts (on every worker),
// once per subscription it holds, and the link itself does not.
TEST_F(PubsubTest, PublishAndNumsubCountEveryClientAsRedis) {
  start({"--workers", "2"});
  RespConnection direct_subscriber(redis_->port());  // a client of the backend, not of Funnel
  direct_subscriber.send_command({"SUBSCRIBE", "chan1"});
  direct_subscriber.read_raw_reply();
  std::vector<std::unique_ptr<RespConnection>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RespConnection>(funnel_->port()));
    if (i == 1) clients.back()->command({"HELLO", "3"});
  }
  for (int i = 0; i < 2; ++i) {
    clients[i]->send_command({"SUBSCRIBE", "chan1"});
    clients[i]->read_raw_reply();
    clients[i]->send_command({"SSUBSCRIBE", "shard1"});
    clients[i]->read_raw_reply();
  }
  clients[2]->send_command({"PSUBSCRIBE", "ch*", "chan?", "x*"});
  for (int i = 0; i < 3; ++i) clients[2]->read_raw_reply();
  RespConnection publisher(funnel_->port());
  // 1 direct + 2 channel subscribers + 2 matching patterns of one client.
  EXPECT_EQ(publisher.command({"PUBLISH", "chan1", "m"}).integer, 5);
  EXPECT_EQ(publisher.command({"PUBLISH", "chan2", "m"}).integer, 2);
  EXPECT_EQ(publisher.command({"PUBLISH", "other", "m"}).integer, 0);
  EXPECT_EQ(publisher.command({"SPUBLISH", "shard1", "m"}).integer, 2);
  const resp::Value numsub = publisher.command({"PUBSUB", "NUMSUB", "chan1", "chan2", "shard1"});
  ASSERT_EQ(numsub.elems.size(), 6u);
  EXPECT_EQ(numsub.elems[1].integer, 3);  // patterns are not counted by NUMSUB
  EXPECT_EQ(numsub.elems[3].integer, 0);
  EXPECT_EQ(numsub.elems[5].integer, 0);  // a shard channel is not a channel
  const resp::Value shard = publisher.command({"PUBSUB", "SHARDNUMSUB", "shard1", "chan1"});
  ASSERT_EQ(shard.elems.size(), 4u);
  EXPECT_EQ(shard.elems[1].integer, 2);
  EXPECT_EQ(shard.elems[3].integer, 0);
  EXPECT_EQ(publisher.command({"PUBSUB", "NUMPAT"}).integer, 3);  // unique patterns, unchanged
  // Leaving is counted at once, and once the backend has dropped the link's subscription too.
  clients[0]->send_command({"UNSUBSCRIBE", "chan1"});
  clients[0]->read_raw_reply();
  EXPECT_EQ(publisher.command({"PUBLISH", "chan1", "m"}).integer, 4);
  for (int i = 1; i < 3; ++i) clients[i]->command({"RESET"});
  RespConnection backend(redis_->port());
  ASSERT_TRUE(wait_until([&] {
    return backend.command({"PUBSUB", "NUMSUB", "chan1"}).elems.at(1).integer == 1;
  }));
  EXPECT_EQ(publisher.command({"PUBLISH", "chan1", "m"}).integer, 1);
  EXPECT_EQ(publisher.command({"PUBSUB", "NUMSUB", "chan1"}).elems.at(1).integer, 1);
  EXPECT_EQ(publisher.command({"SPUBLISH", "shard1", "m"}).integer, 1);  // clients[0] still
}

TEST_F(PubsubTest, Resp3ClientMixesCommandsWithPushes) {
  start();
  RespConnection c(funnel_->port());
  c.command({"HELLO", "3"});
  c.send_command({"SUBSCRIBE", "mix"});
  ASSERT_EQ(c.read_raw_reply(), ">3\r\n$9\r\nsubscribe\r\n$3\r\nmix\r\n:1\r\n");
  constexpr int kMessages = 200;
  constexpr int kPairs = 300;
  std::string batch;
  for (int i = 0; i < kPairs; ++i) {
    batch += encode_command({"SET", "mix:" + std::to_string(i), std::to_string(i)});
    batch += encode_command({"GET", "mix:" + std::to_string(i)});
  }
  std::thread publisher([&] {
    RespConnection direct(redis_->port());
    for (int i = 0; i < kMessages; ++i) direct.command({"PUBLISH", "mix", std::to_string(i)});
  });
  c.send_raw(batch);
  int next_message = 0;
  int next_reply = 0;
  while (next_reply < 2 * kPairs || next_message < kMessages) {
    const std::string frame = c.read_raw_reply();
    if (frame[0] == '>') {
      ASSERT_EQ(frame, message_bytes(">3", "message", {"mix", std::to_string(next_message)}));
      ++next_message;
      continue;
    }
    const int i = next_reply / 2;
    const std::string value = std::to_string(i);
    const std::string want = next_reply % 2 == 0
                                 ? "+OK\r\n"
                                 : "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    ASSERT_EQ(frame, want) << "reply " << next_reply;
    ++next_reply;
  }
  publisher.join();
}

TEST_F(PubsubTest, PipelinedSubscribeThenPublishSeesItsOwnMessage) {
  start();
  RespConnection c(funnel_->port());
  c.command({"HELLO", "3"});
  c.send_raw(encode_command({"SUBSCRIBE", "self"}) + encode_command({"PUBLISH", "self", "me"}));
  EXPECT_EQ(c.read_raw_reply(), ">3\r\n$9\r\nsubscribe\r\n$4\r\nself\r\n:1\r\n");
  // The PUBLISH ran after the backend subscription existed: one receiver, and the message comes
  // (Redis puts it before the PUBLISH reply; through the shared link it may come after).
  std::vector<std::string> rest = {c.read_raw_reply(), c.read_raw_reply()};
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(rest[0], ":1\r\n");
  EXPECT_EQ(rest[1], message_bytes(">3", "message", {"self", "me"}));
}

// A confirmation queued behind a slow reply holds back the messages of its subscription: on the
// wire they come after it, whatever order the backend produced them in.
TEST_F(PubsubTest, NoMessageOvertakesItsConfirmation) {
  // One RESP3 link: the DEBUG SLEEP delays the GET behind it (DEBUG is on the default deny list).
  start({"--workers", "1", "--deny-commands", "@default -debug"});
  RespConnection other(funnel_->port());
  other.send_command({"SUBSCRIBE", "held"});
  other.read_raw_reply();  // the channel is live on the backend already
  RespConnection sleeper(funnel_->port());
  RespConnection c(funnel_->port());
  for (RespConnection* conn : {&sleeper, &c}) conn->command({"HELLO", "3"});
  sleeper.send_command({"DEBUG", "SLEEP", "0.2"});
  c.send_raw(encode_command({"GET", "held:none"}) + encode_command({"SUBSCRIBE", "held"}));
  RespConnection publisher(redis_->port());
  for (int i = 0; i < 5; ++i) publisher.send_command({"PUBLISH", "held", std::to_string(i)});
  EXPECT_EQ(c.read_raw_reply(), "_\r\n");
  EXPECT_EQ(c.read_raw_reply(), ">3\r\n$9\r\nsubscribe\r\n$4\r\nheld\r\n:1\r\n");
  for (int i = 0; i < 5; ++i) publisher.read_raw_reply();
  publisher.command({"PUBLISH", "held", "last"});
  int previous = -1;
  for (int frames = 0; frames < 6; ++frames) {
    const std::string frame = c.read_raw_reply();
    if (frame == message_bytes(">3", "message", {"held", "last"})) break;
    ASSERT_EQ(frame.rfind(">3\r\n$7\r\nmessage\r\n$4\r\nheld\r\n$1\r\n", 0), 0u)
        << printable(frame);
    const int n = frame[frame.size() - 3] - '0';
    EXPECT_GT(n, previous);  // in order
    previous = n;
  }
  EXPECT_EQ(sleeper.read_raw_reply(), "+OK\r\n");
}

TEST_F(PubsubTest, DisconnectAndResetLeaveEveryChannel) {
  start({"--workers", "2"});
  auto numsub = [&](const std::string& channel) {
    RespConnection direct(redis_->port());
    return direct.command({"PUBSUB", "NUMSUB", channel}).elems.at(1).integer;
  };
  auto numpat = [&] {
    RespConnection direct(redis_->port());
    return direct.command({"PUBSUB", "NUMPAT"}).integer;
  };
  std::vector<std::unique_ptr<RespConnection>> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(std::make_unique<RespConnection>(funnel_->port()));
    clients.back()->send_command({"SUBSCRIBE", "gone", "c" + std::to_string(i)});
    clients.back()->read_raw_reply();
    clients.back()->read_raw_reply();
    clients.back()->send_command({"PSUBSCRIBE", "g*"});
    clients.back()->read_raw_reply();
  }
  EXPECT_EQ(numsub("gone"), 1);  // one backend subscription, however many clients
  EXPECT_EQ(numpat(), 1);
  // CLIENT INFO through Funnel shows the client's own subscriptions, as Redis does.
  RespConnection info(funnel_->port());
  info.command({"HELLO", "3"});  // RESP3: CLIENT INFO is allowed while subscribed
  EXPECT_NE(info.command({"CLIENT", "INFO"}).str.find(" flags=N db=0 sub=0 psub=0 ssub=0 "),
            std::string::npos);
  info.send_command({"SUBSCRIBE", "i1", "i2"});
  info.read_raw_reply();
  info.read_raw_reply();
  info.send_command({"SSUBSCRIBE", "i3"});
  info.read_raw_reply();
  const std::string line = info.command({"CLIENT", "INFO"}).str;
  EXPECT_NE(line.find(" flags=P db=0 sub=2 psub=0 ssub=1 "), std::string::npos) << line;
  info.send_command({"RESET"});
  EXPECT_EQ(info.read_raw_reply(), "+RESET\r\n");
  EXPECT_NE(info.command({"CLIENT", "INFO"}).str.find(" flags=N db=0 sub=0 psub=0 ssub=0 "),
            std::string::npos);
  clients[0]->send_command({"RESET"});
  EXPECT_EQ(clients[0]->read_raw_reply(), "+RESET\r\n");
  EXPECT_TRUE(wait_until([&] { return numsub("c0") == 0; }));
  EXPECT_EQ(numsub("gone"), 1);
  clients.clear();  // every other client disconnects
  EXPECT_TRUE(wait_until([&] { return numsub("gone") == 0 && numpat() == 0; }));
  EXPECT_EQ(numsub("c7"), 0);
  // The link stays (one subscriber link at most), ready for the next subscriber.
  RespConnection again(funnel_->port());
  again.send_command({"SUBSCRIBE", "gone"});
  EXPECT_EQ(again.read_raw_reply(), "*3\r\n$9\r\nsubscribe\r\n$4\r\ngone\r\n:1\r\n");
  EXPECT_EQ(numsub("gone"), 1);
  EXPECT_EQ(count_prefix(funnel_link_names(redis_->port()), "funnel:subscriber:"), 1u);
}

int subscriber_count() {
  return reduced_scale() ? 1000 : 10000;
}

TEST_F(PubsubTest, ManySubscribersAcrossWorkersShareOneBackendLink) {
  const int subscribers = subscriber_count();
  start({"--workers", "2", "--max-clients", "12000"});
  std::vector<std::unique_ptr<RespConnection>> clients;
  clients.reserve(subscribers);
  for (int i = 0; i < subscribers; ++i) {
    clients.push_back(std::make_unique<RespConnection>(funnel_->port(), std::chrono::seconds(30)));
    if (i % 2 == 1) clients.back()->send_command({"HELLO", "3"});
    clients.back()->send_command({"SUBSCRIBE", "crowd"});
  }
  for (int i = 0; i < subscribers; ++i) {
    if (i % 2 == 1) clients[i]->read_raw_reply();  // HELLO
    ASSERT_EQ(clients[i]->read_raw_reply(), std::string(i % 2 == 1 ? ">3" : "*3") +
                                                "\r\n$9\r\nsubscribe\r\n$5\r\ncrowd\r\n:1\r\n")
        << "subscriber " << i;
  }
  constexpr int kMessages = 5;
  for (int m = 0; m < kMessages; ++m) {
    EXPECT_EQ(publish_direct(redis_->port(), "crowd", "m" + std::to_string(m)), 1);
  }
  for (int i = 0; i < subscribers; ++i) {
    for (int m = 0; m < kMessages; ++m) {
      ASSERT_EQ(clients[i]->read_raw_reply(), message_bytes(i % 2 == 1 ? ">3" : "*3", "message",
                                                            {"crowd", "m" + std::to_string(m)}))
          << "subscriber " << i << " message " << m;
    }
  }
  const auto names = funnel_link_names(redis_->port());
  EXPECT_EQ(count_prefix(names, "funnel:subscriber:"), 1u);
  EXPECT_EQ(count_prefix(names, "funnel:subscriber:0"), 1u);
  clients.clear();
}

TEST_F(PubsubTest, SlowSubscriberIsCutOffWhileOthersKeepReceiving) {
  TempDir dir("funnel-pubsub");
  const std::string config = dir.path() + "/funnel.toml";
  std::ofstream(config) << "[limits]\npubsub_output_hard_bytes = \"1mb\"\n"
                        << "pubsub_output_soft_bytes = \"512kb\"\n";
  start({"--config", config, "--workers", "2"});
  RespConnection slow(funnel_->port());
  ::setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, "\0\20\0\0", 4);  // 4 KB: fills up fast
  std::vector<std::unique_ptr<RespConnection>> fast;
  for (RespConnection* c : {&slow}) {
    c->send_command({"SUBSCRIBE", "firehose"});
    c->read_raw_reply();
  }
  for (int i = 0; i < 3; ++i) {
    fast.push_back(std::make_unique<RespConnection>(funnel_->port()));
    fast.back()->send_command({"SUBSCRIBE", "firehose"});
    fast.back()->read_raw_reply();
  }
  constexpr int kMessages = 400;
  const std::string payload(32 * 1024, 'p');  // 12.8 MB in all: far past the slow one's limits
  std::atomic<int> received{0};               // messages every fast subscriber has read
  std::atomic<int> mismatches{0};
  std::thread reader([&] {
    for (int m = 0; m < kMessages; ++m) {
      for (auto& c : fast) {
        const std::string body = std::to_string(m) + ":" + payload;
        if (c->read_raw_reply() != message_bytes("*3", "message", {"firehose", body})) {
          ++mismatches;
        }
      }
      received = m + 1;
    }
  });
  RespConnection publisher(redis_->port());
  for (int m = 0; m < kMessages; ++m) {
    // Paced by the fast readers (at most 8 messages ahead of them): they never fall behind,
    // while the one that reads nothing piles up.
    ASSERT_TRUE(wait_until([&] { return received >= m - 8; }, std::chrono::seconds(30)));
    publisher.command({"PUBLISH", "firehose", std::to_string(m) + ":" + payload});
  }
  reader.join();
  EXPECT_EQ(mismatches, 0);
  EXPECT_TRUE(wait_until([&] {
    return funnel_->log_text().find("not reading its pub/sub messages") != std::string::npos;
  })) << funnel_->log_text();
  // Closed (its 4 KB receive window would take long to drain, so ask Funnel rather than wait
  // for the EOF): the slow one, three fast ones and this connection were open.
  RespConnection stats(funnel_->port());
  EXPECT_TRUE(wait_until([&] {
    return stats.command({"FUNNEL", "STATS"}).str.find("clients_connected:4\r\n") !=
           std::string::npos;
  })) << stats.command({"FUNNEL", "STATS"}).str;
  // The others are still subscribed and served.
  EXPECT_EQ(publish_direct(redis_->port(), "firehose", "after"), 1);
  for (auto& c : fast) {
    EXPECT_EQ(c->read_raw_reply(), message_bytes("*3", "message", {"firehose", "after"}));
  }
}

TEST_F(PubsubTest, SubscriberAboveTheSoftLimitForItsSecondsIsCutOff) {
  TempDir dir("funnel-pubsub-soft");
  const std::string config = dir.path() + "/funnel.toml";
  std::ofstream(config) << "[limits]\npubsub_output_soft_bytes = \"256kb\"\n"
                        << "pubsub_output_soft_seconds = 1\n";  // hard stays at 32mb
  start({"--config", config});
  RespConnection slow(funnel_->port());
  ::setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, "\0\20\0\0", 4);
  slow.send_command({"SUBSCRIBE", "trickle"});
  slow.read_raw_reply();
  RespConnection publisher(redis_->port());
  const std::string payload(16 * 1024, 't');
  const auto started = Clock::now();
  // A steady trickle (one message per poll, ~1 MB/s at most): far below the hard limit for the
  // time the test takes, above the soft one for longer than a second.
  EXPECT_TRUE(wait_until(
      [&] {
        publisher.command({"PUBLISH", "trickle", payload});
        return funnel_->log_text().find("exceeds the soft limit") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << funnel_->log_text();
  EXPECT_GE(Clock::now() - started, std::chrono::seconds(1));
  // It was the only subscriber: Funnel lets go of the channel; the link itself stays.
  EXPECT_TRUE(wait_until([&] {
    return publisher.command({"PUBSUB", "NUMSUB", "trickle"}).elems.at(1).integer == 0;
  }));
  EXPECT_EQ(count_prefix(funnel_link_names(redis_->port()), "funnel:subscriber:"), 1u);
}

TEST_F(PubsubTest, SubscriptionsComeBackAfterTheBackendRestarts) {
  start();
  RespConnection sub(funnel_->port());
  sub.send_command({"SUBSCRIBE", "durable"});
  sub.read_raw_reply();
  sub.send_command({"PSUBSCRIBE", "dur*"});
  sub.read_raw_reply();
  sub.send_command({"SSUBSCRIBE", "dshard"});
  sub.read_raw_reply();
  redis_->restart();
  // Funnel's subscriber link reconnects and subscribes everything again.
  ASSERT_TRUE(wait_until(
      [&] {
        RespConnection direct(redis_->port());
        return direct.command({"PUBSUB", "NUMSUB", "durable"}).elems.at(1).integer == 1 &&
               direct.command({"PUBSUB", "NUMPAT"}).integer == 1 &&
               direct.command({"PUBSUB", "SHARDNUMSUB", "dshard"}).elems.at(1).integer == 1;
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(publish_direct(redis_->port(), "durable", "back"), 2);
  EXPECT_EQ(publish_direct(redis_->port(), "dshard", "sback", "SPUBLISH"), 1);
  EXPECT_EQ(sub.read_raw_reply(), message_bytes("*3", "message", {"durable", "back"}));
  EXPECT_EQ(sub.read_raw_reply(), message_bytes("*4", "pmessage", {"dur*", "durable", "back"}));
  EXPECT_EQ(sub.read_raw_reply(), message_bytes("*3", "smessage", {"dshard", "sback"}));
  EXPECT_EQ(count_prefix(funnel_link_names(redis_->port()), "funnel:subscriber:"), 1u);
}

// A backend that stops answering without closing the connection (frozen, or a half-open TCP
// connection) is noticed by the hub's PINGs; the link is replaced and everything re-subscribed.
TEST_F(PubsubTest, AFrozenBackendIsNoticedAndTheLinkReplaced) {
  TempDir dir("funnel-pubsub-frozen");
  const std::string config = dir.path() + "/funnel.toml";
  std::ofstream(config) << "[backend]\nrequest_timeout_ms = 300\nlink_stall_timeout_ms = 600\n";
  start({"--config", config});
  RespConnection sub(funnel_->port());
  sub.send_command({"SUBSCRIBE", "frozen"});
  sub.read_raw_reply();
  ASSERT_EQ(::kill(redis_->pid(), SIGSTOP), 0);
  const bool noticed =
      wait_until([&] { return funnel_->log_text().find("answered no PING") != std::string::npos; });
  ASSERT_EQ(::kill(redis_->pid(), SIGCONT), 0);
  ASSERT_TRUE(noticed) << funnel_->log_text();
  ASSERT_TRUE(wait_until([&] { return publish_direct(redis_->port(), "frozen", "thawed") == 1; },
                         std::chrono::seconds(20)));
  EXPECT_EQ(sub.read_raw_reply(), message_bytes("*3", "message", {"frozen", "thawed"}));
  EXPECT_TRUE(wait_until(
      [&] { return count_prefix(funnel_link_names(redis_->port()), "funnel:subscriber:") == 1; }));
}

TEST_F(PubsubTest, SubscribeWhileTheBackendIsDownFailsClearlyThenWorksAgain) {
  start({"--request-timeout-ms", "500"});
  redis_->stop();
  RespConnection c(funnel_->port());
  c.set_timeout(std::chrono::seconds(10));
  c.send_command({"SUBSCRIBE", "later"});
  const std::string reply = c.read_raw_reply();
  EXPECT_EQ(reply.rfind("-ERR funnel: the backend did not confirm the subscription", 0), 0u)
      << printable(reply);
  // Undone: the client is not in subscribe mode, so ordinary commands are answered.
  EXPECT_EQ(c.command({"PING"}).str, "PONG");
  c.send_command({"UNSUBSCRIBE"});
  EXPECT_EQ(c.read_raw_reply(), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  redis_->restart();
  ASSERT_TRUE(wait_until(
      [&] {
        c.send_command({"SUBSCRIBE", "later"});
        const std::string again = c.read_raw_reply();
        return again == "*3\r\n$9\r\nsubscribe\r\n$5\r\nlater\r\n:1\r\n";
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(publish_direct(redis_->port(), "later", "now"), 1);
  EXPECT_EQ(c.read_raw_reply(), message_bytes("*3", "message", {"later", "now"}));
}

TEST_F(PubsubTest, SubscribersAreExemptFromTheIdleTimeout) {
  start({"--idle-client-timeout-s", "1"});
  RespConnection subscriber(funnel_->port());
  subscriber.send_command({"SUBSCRIBE", "quiet"});
  subscriber.read_raw_reply();
  RespConnection idle(funnel_->port());
  EXPECT_EQ(idle.command({"PING"}).str, "PONG");
  EXPECT_TRUE(idle.closed_by_peer(std::chrono::seconds(10)));  // the ordinary idle client goes
  EXPECT_EQ(publish_direct(redis_->port(), "quiet", "still here"), 1);
  EXPECT_EQ(subscriber.read_raw_reply(), message_bytes("*3", "message", {"quiet", "still here"}));
}

}  // namespace
}  // namespace funnel::test
