// The request planner's rules, one table row per rule, without sockets: every row of
// docs/compatibility.md (how each command family is served) and every step of docs/security.md's
// refusal order (unknown command and arity, NOAUTH, subscribe mode, ACL and the deny list; inside
// MULTI; on a pinned link). Each row gives the session's state in words, the request, and the
// plan expected.
#include "plan/planner.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "../command/request_helpers.hpp"

namespace funnel::plan {
namespace {

using command::LocalCommand;
using command::test::ParsedRequest;
namespace fx = effect;

struct Expect {
  Action action;
  std::string text = {};  // kReply/kError: the text starts with this
  std::uint16_t effects = 0;
  Target target = Target::kShared;
  LocalCommand local = LocalCommand::kNone;
  ClientSub sub = ClientSub::kNone;
  PinReason reason = PinReason::kWatch;
  Lane lane = Lane::shared(0);
  HoldFor hold = HoldFor::kLane;            // kHold
  Merge merge = Merge::kFirstPartWins;      // kFanOut (cluster: split by slot)
  std::uint16_t slot = 0;                   // effect::kQueuedSlot
  PartTarget part = PartTarget::kEachSlot;  // kFanOut with a merge: where its parts go
};

struct Row {
  std::string given;  // words: see Planner::apply
  std::vector<std::string> args;
  Expect expect;
};

const ClusterAddress kFunnelAddress{"10.0.0.9", 7000};
const std::string kNoPinError = "ERR no pin";  // state.lease_error points at the lease's text

class Planner : public ::testing::Test {
 protected:
  Planner() {
    open_ = security::UserDirectory::build(config::AuthConfig{});
    config::AuthConfig auth;
    config::UserConfig ro;
    ro.name = "ro";
    ro.rules = "on nopass ~app:* +@read";
    auth.users.push_back(ro);
    users_ = security::UserDirectory::build(auth);
    config::AuthConfig open_policy;
    open_policy.deny_commands = "";
    nothing_denied_ = security::UserDirectory::build(open_policy);
    config::AuthConfig monitor;
    monitor.deny_commands = "@default -monitor";
    monitor_ok_ = security::UserDirectory::build(monitor);
    EXPECT_NE(open_->initial_user(), nullptr);
    EXPECT_NE(users_->find("ro"), nullptr);
  }

  // Sets up the state and context a row's words describe.
  void apply(const std::string& given, SessionState& state, Context& context) {
    state.user = open_->initial_user();
    context.policy = &open_->policy();  // the same default deny list in both
    context.scratch = &scratch_;
    std::istringstream words(given);
    for (std::string w; words >> w;) {
      if (w == "unauthenticated")
        state.user = nullptr;
      else if (w == "read-only-user")
        state.user = users_->find("ro");
      else if (w == "resp3")
        state.protocol = resp::Protocol::kResp3;
      else if (w == "subscribed")
        state.subscribed = true;
      else if (w == "db1")
        state.db = 1;
      else if (w == "in-flight")
        state.lanes.sent(state.forward_lane());
      else if (w == "in-flight-db0")
        state.lanes.sent(Lane::shared(0));
      else if (w == "queuing")
        state.mode = Mode::kQueuing;
      else if (w == "waiting")
        state.mode = Mode::kLeaseWaiting;
      else if (w == "refused")
        state.mode = Mode::kLeaseRefused, state.lease_error = &kNoPinError;
      else if (w == "pinned")
        state.mode = Mode::kPinned, state.pin_serial = 7;
      else if (w == "blocking")
        state.pin_reason = PinReason::kBlocking;
      else if (w == "tracking")
        state.pin_reason = PinReason::kTracking;
      else if (w == "allow-monitor")
        state.user = monitor_ok_->initial_user(), context.policy = &monitor_ok_->policy();
      else if (w == "monitor")
        state.pin_reason = PinReason::kMonitor;
      else if (w == "monitoring")
        state.monitoring = true;
      else if (w == "in-flight-pinned")
        state.lanes.sent(Lane::pinned(7));
      else if (w == "in-multi")
        state.pin_in_multi = true;
      else if (w == "done")
        state.pin_done = true;
      else if (w == "no-pinned-pool")
        context.pinned_enabled = false;
      else if (w == "route-reads")
        context.route_reads = true;
      else if (w == "writes-paused")
        context.writes_paused = true;
      else if (w == "holding-all")  // FUNNEL PAUSE: the session sets both flags
        context.writes_paused = true, context.holding_all = true;
      else if (w == "failover")  // the primary is failing over (routing::FailoverGate)
        context.failover_hold = true;
      else if (w == "watch-lost")  // the pinned link holding the client's WATCH was lost
        state.watch_lost = true;
      else if (w == "tx-writes")
        state.tx_writes = true;
      else if (w == "cluster")
        context.cluster = true, context.cluster_address = &kFunnelAddress;
      else if (w == "tx-slot-a")  // a queued command's keys were in "a"'s slot
        state.tx_has_slot = true, state.tx_slot = 15495;
      else if (w == "tx-cross-slot")
        state.tx_has_slot = true, state.tx_cross_slot = true;
      else if (w == "nothing-denied")
        state.user = nothing_denied_->initial_user(), context.policy = &nothing_denied_->policy();
      else
        ADD_FAILURE() << "unknown word " << w;
    }
  }

  void check(const std::vector<Row>& rows) {
    for (const Row& row : rows) {
      SessionState state;
      Context context;
      apply(row.given, state, context);
      ParsedRequest request(row.args);
      command::Classification cls;
      command::classify(*table_, request.get(), cls);
      const Plan p = plan(state, cls, request.get(), context);
      std::string label = "[" + row.given + "]";
      for (const std::string& arg : row.args) label += " " + arg;
      const Expect& e = row.expect;
      EXPECT_EQ(p.action, e.action) << label << " -> " << p.text;
      EXPECT_EQ(p.effects, e.effects) << label;
      if (!e.text.empty()) {
        EXPECT_TRUE(p.text.starts_with(e.text)) << label << " -> " << p.text;
      }
      if (e.action == Action::kFanOut && e.merge != Merge::kFirstPartWins) {
        EXPECT_EQ(p.fan_out.merge, e.merge) << label;
        EXPECT_EQ(p.fan_out.parts[0], e.part) << label;
        EXPECT_EQ(p.fan_out.count, 1) << label;
      }
      if (p.has(fx::kQueuedSlot)) {
        EXPECT_EQ(p.slot, e.slot) << label;
      }
      if (e.action == Action::kForward || e.action == Action::kFanOut) {
        EXPECT_EQ(p.target, e.target) << label;
        EXPECT_EQ(p.lane, e.lane) << label;
      }
      if (e.action == Action::kLocal) {
        EXPECT_EQ(p.local, e.local) << label;
        EXPECT_EQ(p.client_sub, e.sub) << label;
      }
      if (e.action == Action::kHold) {
        EXPECT_EQ(p.hold_for, e.hold) << label;
      }
      if (e.action == Action::kLease) {
        EXPECT_EQ(p.pin_reason, e.reason) << label;
      }
    }
  }

  std::shared_ptr<const command::CommandTable> table_ = command::CommandTable::builtin();
  std::shared_ptr<const security::UserDirectory> open_;            // the default user, no password
  std::shared_ptr<const security::UserDirectory> users_;           // a read-only user "ro"
  std::shared_ptr<const security::UserDirectory> nothing_denied_;  // --deny-commands ""
  std::shared_ptr<const security::UserDirectory> monitor_ok_;  // MONITOR taken off the deny list
  std::string scratch_;
};

const Expect kShared{Action::kForward};
const Expect kPinned{Action::kForward, "", fx::kNoRetry, Target::kPinned, {}, {}, {},
                     Lane::pinned(7)};
const Expect kHold{Action::kHold};
const Expect kPauseHold = [] {
  Expect e{Action::kHold};
  e.hold = HoldFor::kPause;
  return e;
}();
const Expect kFailoverHold = [] {
  Expect e{Action::kHold};
  e.hold = HoldFor::kFailover;
  return e;
}();
const Expect kQueue{Action::kQueue};
const Expect kClose{Action::kClose};
Expect local(LocalCommand command, ClientSub sub = ClientSub::kNone) {
  return {Action::kLocal, "", 0, Target::kShared, command, sub};
}
Expect error(std::string text, std::uint16_t effects = 0) {
  return {Action::kError, std::move(text), effects};
}
Expect lease(PinReason reason) {
  return {Action::kLease, "", 0, Target::kShared, {}, {}, reason};
}
Expect pinned(std::uint16_t effects) {
  Expect e = kPinned;
  e.effects |= effects;
  return e;
}
constexpr std::string_view kNoPerm = "NOPERM this user has no permissions to run the '";
constexpr std::string_view kSubscribeMode = "ERR Can't execute '";

// docs/security.md, "How a request is checked": Redis's own errors first, then NOAUTH, then
// RESP2 subscribe mode, then the user's rules and the deny list.
TEST_F(Planner, RefusalOrder) {
  check({
      {"unauthenticated", {"NOSUCH", "x"}, error("ERR unknown command 'NOSUCH'")},
      {"unauthenticated", {"GET"}, error("ERR wrong number of arguments for 'get'")},
      {"unauthenticated", {"CONFIG", "NOSUCH"}, error("ERR unknown subcommand 'NOSUCH'")},
      {"unauthenticated", {"GET", "k"}, error("NOAUTH Authentication required.")},
      {"unauthenticated", {"FUNNEL", "STATS"}, error("NOAUTH")},
      {"unauthenticated", {"BLPOP", "k", "0"}, error("NOAUTH")},  // never leases for it
      {"unauthenticated", {"AUTH", "pw"}, local(LocalCommand::kAuth)},
      {"unauthenticated", {"HELLO", "3"}, local(LocalCommand::kHello)},
      {"unauthenticated", {"QUIT"}, kClose},
      {"subscribed", {"GET", "k"}, error(std::string(kSubscribeMode) + "get'")},
      {"subscribed", {"FUNNEL"}, error(std::string(kSubscribeMode) + "funnel'")},
      {"subscribed", {"BLPOP", "k", "0"}, error(std::string(kSubscribeMode) + "blpop'")},
      {"subscribed read-only-user", {"SET", "app:1", "v"}, error(std::string(kSubscribeMode))},
      {"subscribed", {"PING"}, local(LocalCommand::kPing)},
      {"subscribed", {"SUBSCRIBE", "c"}, local(LocalCommand::kPubsub)},
      {"subscribed", {"PUNSUBSCRIBE"}, local(LocalCommand::kPubsub)},
      {"subscribed", {"RESET"}, local(LocalCommand::kReset)},
      {"subscribed", {"QUIT"}, kClose},
      {"subscribed resp3", {"GET", "k"}, kShared},  // RESP3 runs anything
      {"read-only-user",
       {"SET", "app:1", "v"},
       error(std::string(kNoPerm) + "set'", fx::kPermissionDenied)},
      {"read-only-user",
       {"GET", "other"},
       error("NOPERM this user has no permissions to access", fx::kPermissionDenied)},
      {"read-only-user", {"GET", "app:1"}, kShared},
      {"read-only-user",
       {"FUNNEL", "STATS"},
       error(std::string(kNoPerm) + "funnel'", fx::kPermissionDenied)},
      {"read-only-user",
       {"BLPOP", "app:1", "0"},
       error(std::string(kNoPerm) + "blpop'", fx::kPermissionDenied)},
      {"", {"FLUSHALL"}, error(std::string(kNoPerm) + "flushall'", fx::kPermissionDenied)},
      {"",
       {"CONFIG", "GET", "x"},
       error(std::string(kNoPerm) + "config|get'", fx::kPermissionDenied)},
      {"", {"MONITOR"}, error(std::string(kNoPerm) + "monitor'", fx::kPermissionDenied)},
      {"",
       {"CLIENT", "KILL", "1.2.3.4:5"},
       error(std::string(kNoPerm) + "client|kill'", fx::kPermissionDenied)},
  });
}

// The same order inside a Funnel-held MULTI (a refusal aborts EXEC) and on a pinned link.
TEST_F(Planner, RefusalOrderInsideMultiAndOnAPinnedLink) {
  check({
      {"queuing", {"NOSUCH"}, error("ERR unknown command", fx::kAbortTransaction)},
      {"queuing", {"SET", "k"}, error("ERR wrong number", fx::kAbortTransaction)},
      {"queuing read-only-user",
       {"SET", "app:1", "v"},
       error(std::string(kNoPerm) + "set'", fx::kAbortTransaction | fx::kPermissionDenied)},
      {"queuing",
       {"FLUSHALL"},
       error(std::string(kNoPerm), fx::kAbortTransaction | fx::kPermissionDenied)},
      {"pinned", {"NOSUCH"}, error("ERR unknown command")},
      {"pinned read-only-user",
       {"SET", "app:1", "v"},
       error(std::string(kNoPerm) + "set'", fx::kPermissionDenied)},
      {"pinned", {"FLUSHALL"}, error(std::string(kNoPerm), fx::kPermissionDenied)},
      {"pinned resp3 subscribed", {"GET", "k"}, kPinned},
  });
}

// docs/compatibility.md, "By family": the multiplexed families and the per-database pools.
TEST_F(Planner, MultiplexedFamilies) {
  check({
      {"", {"GET", "k"}, kShared},
      {"", {"SET", "k", "v"}, kShared},
      {"", {"LPUSH", "l", "a"}, kShared},
      {"", {"HSET", "h", "f", "v"}, kShared},
      {"", {"ZADD", "z", "1", "m"}, kShared},
      {"", {"XADD", "s", "*", "f", "v"}, kShared},
      {"", {"XREAD", "STREAMS", "s", "0"}, kShared},
      {"", {"PFADD", "p", "a"}, kShared},
      {"", {"DEL", "k"}, kShared},
      // Until a backend link has told whether the deny list holds inside scripts (security.md).
      {"",
       {"EVAL", "return 1", "0"},
       error("NOPERM funnel: scripts are refused", fx::kPermissionDenied)},
      {"", {"SCRIPT", "LOAD", "return 1"}, kShared},
      {"", {"SCRIPT", "KILL"}, {Action::kForward, "", fx::kOutOfBand}},  // never behind a script
      {"", {"FUNCTION", "KILL"}, {Action::kForward, "", fx::kOutOfBand}},
      {"", {"FUNCTION", "STATS"}, {Action::kForward, "", fx::kOutOfBand}},
      {"", {"FUNCTION", "LIST"}, kShared},
      // Funnel's subscriber link stands for its clients: the counts are corrected on delivery.
      {"", {"PUBLISH", "c", "m"}, {Action::kForward, "", fx::kPubsubCount}},
      {"", {"SPUBLISH", "c", "m"}, {Action::kForward, "", fx::kPubsubCount}},
      {"", {"PUBSUB", "NUMSUB", "c"}, {Action::kForward, "", fx::kPubsubCount}},
      {"", {"PUBSUB", "SHARDNUMSUB", "c"}, {Action::kForward, "", fx::kPubsubCount}},
      {"", {"PUBSUB", "NUMPAT"}, kShared},
      {"", {"PUBSUB", "CHANNELS"}, kShared},
      {"", {"TIME"}, kShared},
      {"", {"ACL", "CAT"}, kShared},
      {"", {"INFO", "server"}, kShared},
      {"", {"INFO"}, {Action::kForward, "", fx::kAppendFunnelInfo}},
      {"", {"INFO", "FUNNEL"}, {Action::kForward, "", fx::kAppendFunnelInfo}},
      {"", {"INFO", "all"}, {Action::kForward, "", fx::kAppendFunnelInfo}},
      {"db1",
       {"GET", "k"},
       {Action::kForward, "", 0, Target::kShared, {}, {}, {}, Lane::shared(1)}},
      {"in-flight", {"GET", "k"}, kShared},        // same lane: no wait
      {"db1 in-flight-db0", {"GET", "k"}, kHold},  // another pool: after the replies
  });
}

// Reads on replicas (docs/topology.md) and the one fan-out: SCRIPT LOAD/FLUSH to every replica.
TEST_F(Planner, ReadRoutesAndTheScriptFanOut) {
  check({
      {"route-reads", {"GET", "k"}, {Action::kForward, "", 0, Target::kReadRoute}},
      {"route-reads", {"SET", "k", "v"}, kShared},
      {"route-reads db1",
       {"GET", "k"},
       {Action::kForward, "", 0, Target::kShared, {}, {}, {}, Lane::shared(1)}},
      {"route-reads", {"SCRIPT", "LOAD", "return 1"}, {Action::kFanOut}},
      {"route-reads", {"SCRIPT", "FLUSH"}, {Action::kFanOut}},
      {"route-reads", {"INFO"}, {Action::kForward, "", fx::kAppendFunnelInfo}},  // not read-only
  });
  SessionState state;
  state.user = open_->initial_user();
  Context context{&open_->policy(), true, true, &scratch_};
  ParsedRequest request({"SCRIPT", "LOAD", "return 1"});
  command::Classification cls;
  command::classify(*table_, request.get(), cls);
  const Plan p = plan(state, cls, request.get(), context);
  ASSERT_EQ(p.fan_out.count, 2);
  EXPECT_EQ(p.fan_out.parts[0], PartTarget::kClientLane);
  EXPECT_EQ(p.fan_out.parts[1], PartTarget::kEveryReplica);
  EXPECT_EQ(p.fan_out.merge, Merge::kFirstPartWins);  // the primary's reply is the client's
}

// Blocking commands and WAIT: pinned for the duration of the command.
TEST_F(Planner, BlockingCommandsLeaseAPinnedLink) {
  check({
      {"", {"BLPOP", "k", "0"}, lease(PinReason::kBlocking)},
      {"", {"BZPOPMIN", "z", "1"}, lease(PinReason::kBlocking)},
      {"", {"BLMOVE", "a", "b", "LEFT", "RIGHT", "0"}, lease(PinReason::kBlocking)},
      {"", {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}, lease(PinReason::kBlocking)},
      {"in-flight", {"BLPOP", "k", "0"}, kHold},  // leased after the earlier replies
      {"no-pinned-pool", {"BLPOP", "k", "0"}, error("ERR funnel: BLPOP is not supported")},
      {"waiting", {"GET", "k"}, kHold},
      {"refused", {"BLPOP", "k", "0"}, error("ERR no pin", fx::kDropLease)},
      {"pinned blocking",
       {"BLPOP", "k", "0"},
       pinned(fx::kBlockingDeadline | fx::kReleaseWhenIdle)},
      {"pinned", {"BLPOP", "k", "0"}, pinned(fx::kBlockingDeadline)},  // after WATCH: kept
      {"pinned blocking done", {"GET", "k"}, {Action::kRelease}},
      {"pinned blocking done in-flight", {"GET", "k"}, kHold},
      {"pinned in-flight", {"GET", "k"}, kPinned},
      {"in-flight pinned", {"GET", "k"}, kHold},  // still in flight on the shared link
      {"", {"WAIT", "0", "0"}, error("ERR funnel: WAIT")},
      {"pinned", {"WAIT", "0", "0"}, kPinned},
  });
}

// MULTI … EXEC without WATCH: held by Funnel (transaction_rule_test.cpp has every command).
TEST_F(Planner, HeldTransactions) {
  check({
      {"", {"MULTI"}, {Action::kBeginMulti}},
      {"", {"EXEC"}, error("ERR EXEC without MULTI")},
      {"", {"DISCARD"}, error("ERR DISCARD without MULTI")},
      {"", {"UNWATCH"}, {Action::kReply, "+OK\r\n"}},
      {"queuing", {"SET", "k", "v"}, {Action::kQueue, "", fx::kQueuedWrite}},  // see ClientPause...
      {"queuing", {"BLPOP", "k", "0"}, kQueue},  // does not block inside MULTI
      {"queuing", {"WATCH", "k"}, error("ERR WATCH inside MULTI is not allowed")},
      {"queuing", {"MULTI"}, error("ERR MULTI calls can not be nested")},
      {"queuing", {"SELECT", "1"}, error("ERR funnel: SELECT inside MULTI", fx::kAbortTransaction)},
      // The deny list comes before Redis's no-multi check, as ACLs do in Redis.
      {"queuing",
       {"SAVE"},
       error(std::string(kNoPerm) + "save'", fx::kAbortTransaction | fx::kPermissionDenied)},
      {"queuing", {"EXEC"}, {Action::kExec}},
      {"queuing in-flight", {"EXEC"}, {Action::kExec}},  // the same shared lane
      {"queuing", {"DISCARD"}, {Action::kDiscard}},
      {"queuing", {"RESET"}, local(LocalCommand::kReset)},
      {"queuing", {"QUIT"}, kClose},
  });
}

// WATCH … EXEC: pinned from WATCH until EXEC, DISCARD, UNWATCH or RESET.
TEST_F(Planner, WatchedTransactionsRunOnThePinnedLink) {
  check({
      {"", {"WATCH", "k"}, lease(PinReason::kWatch)},
      {"no-pinned-pool", {"WATCH", "k"}, error("ERR funnel: WATCH is not supported")},
      {"pinned", {"WATCH", "k"}, kPinned},
      {"pinned", {"GET", "k"}, kPinned},
      {"pinned", {"INFO"}, kPinned},
      {"pinned", {"MULTI"}, pinned(fx::kEnterPinnedMulti)},
      {"pinned in-multi", {"SET", "k", "v"}, kPinned},
      {"pinned in-multi", {"PING"}, kPinned},  // queued on the link: EXEC's array is Redis's
      {"pinned", {"PING"}, local(LocalCommand::kPing)},
      {"pinned in-multi", {"EXEC"}, pinned(fx::kLeavePinnedMulti | fx::kReleaseWhenIdle)},
      {"pinned", {"DISCARD"}, pinned(fx::kLeavePinnedMulti | fx::kReleaseWhenIdle)},
      {"pinned", {"UNWATCH"}, pinned(fx::kLeavePinnedMulti | fx::kReleaseWhenIdle)},
      {"pinned tracking", {"EXEC"}, pinned(fx::kLeavePinnedMulti)},  // tracking goes on
      {"pinned done", {"WATCH", "k"}, {Action::kRelease}},           // then planned again, unpinned
      {"pinned", {"RESET"}, local(LocalCommand::kReset)},
      {"pinned in-flight", {"RESET"}, kHold},  // as in Redis, after the blocked command
      {"pinned", {"QUIT"}, kClose},
      {"pinned",
       {"SELECT", "1"},
       {Action::kForward,
        "",
        fx::kNoRetry | fx::kSelectFirst,
        Target::kPinned,
        {},
        {},
        {},
        Lane::pinned(7)}},
      {"pinned", {"HELLO", "3"}, error("ERR funnel: HELLO cannot change the protocol")},
      {"pinned", {"HELLO", "2"}, local(LocalCommand::kHello)},
      {"pinned resp3", {"HELLO", "3"}, local(LocalCommand::kHello)},
      {"pinned", {"AUTH", "pw"}, local(LocalCommand::kAuth)},
      {"pinned", {"SUBSCRIBE", "c"}, local(LocalCommand::kPubsub)},
  });
}

// Client-side caching: CLIENT TRACKING ON leases a link held until TRACKING OFF.
TEST_F(Planner, ClientTracking) {
  check({
      {"", {"CLIENT", "TRACKING", "on"}, error("ERR funnel: CLIENT TRACKING through Funnel needs")},
      {"resp3", {"CLIENT", "TRACKING", "on"}, lease(PinReason::kTracking)},
      {"resp3",
       {"CLIENT", "TRACKING", "on", "REDIRECT", "5"},
       error("ERR funnel: CLIENT TRACKING REDIRECT")},
      {"resp3", {"CLIENT", "TRACKING", "off"}, {Action::kReply, "+OK\r\n"}},
      {"resp3 no-pinned-pool",
       {"CLIENT", "TRACKING", "on"},
       error("ERR funnel: CLIENT|TRACKING is not supported")},
      {"resp3 pinned tracking", {"CLIENT", "TRACKING", "off"}, pinned(fx::kReleaseWhenIdle)},
      {"resp3 pinned tracking", {"CLIENT", "TRACKING", "on", "BCAST"}, kPinned},
      {"resp3 pinned tracking", {"CLIENT", "CACHING", "yes"}, kPinned},
      {"resp3 pinned tracking", {"CLIENT", "TRACKINGINFO"}, kPinned},
      {"resp3 pinned tracking", {"CLIENT", "GETREDIR"}, kPinned},
      {"resp3 pinned tracking", {"CLIENT", "ID"}, local(LocalCommand::kClient, ClientSub::kId)},
      {"resp3 pinned", {"CLIENT", "TRACKING", "on"}, error("ERR funnel: CLIENT TRACKING cannot")},
      {"", {"CLIENT", "CACHING", "yes"}, error("ERR CLIENT CACHING can be called only")},
      {"", {"CLIENT", "TRACKINGINFO"}, local(LocalCommand::kClient, ClientSub::kTrackinginfo)},
      {"", {"CLIENT", "GETREDIR"}, local(LocalCommand::kClient, ClientSub::kGetredir)},
  });
}

// Pub/sub and the connection commands Funnel answers itself.
TEST_F(Planner, LocalCommands) {
  check({
      {"", {"SUBSCRIBE", "c"}, local(LocalCommand::kPubsub)},
      {"", {"SSUBSCRIBE", "c"}, local(LocalCommand::kPubsub)},
      {"", {"UNSUBSCRIBE"}, local(LocalCommand::kPubsub)},
      {"", {"PING"}, local(LocalCommand::kPing)},
      {"", {"ECHO", "x"}, local(LocalCommand::kEcho)},
      {"", {"HELLO", "3"}, local(LocalCommand::kHello)},
      {"", {"AUTH", "u", "p"}, local(LocalCommand::kAuth)},
      {"", {"SELECT", "1"}, local(LocalCommand::kSelect)},
      {"", {"RESET"}, local(LocalCommand::kReset)},
      {"", {"QUIT"}, kClose},
      {"", {"FUNNEL", "STATS"}, local(LocalCommand::kFunnel)},
      {"", {"ACL", "WHOAMI"}, local(LocalCommand::kAclWhoami)},
      {"read-only-user", {"PING"}, error(std::string(kNoPerm) + "ping'", fx::kPermissionDenied)},
  });
}

// CLIENT's subcommands: answered by Funnel, refused, or Redis's own errors.
TEST_F(Planner, ClientSubcommands) {
  check({
      {"", {"CLIENT", "ID"}, local(LocalCommand::kClient, ClientSub::kId)},
      {"", {"client", "getname"}, local(LocalCommand::kClient, ClientSub::kGetname)},
      {"", {"CLIENT", "SETNAME", "n"}, local(LocalCommand::kClient, ClientSub::kSetname)},
      {"",
       {"CLIENT", "SETINFO", "LIB-NAME", "x"},
       local(LocalCommand::kClient, ClientSub::kSetinfo)},
      {"",
       {"CLIENT", "SETINFO", "LIB-NAME"},
       error("ERR wrong number of arguments for 'client|setinfo'")},
      {"", {"CLIENT", "INFO"}, local(LocalCommand::kClient, ClientSub::kInfo)},
      {"", {"CLIENT", "LIST", "TYPE", "normal"}, local(LocalCommand::kClient, ClientSub::kList)},
      {"", {"CLIENT", "REPLY", "OFF"}, local(LocalCommand::kClient, ClientSub::kReply)},
      {"", {"CLIENT", "HELP"}, local(LocalCommand::kClient, ClientSub::kHelp)},
      {"", {"CLIENT", "NO-EVICT", "on"}, {Action::kReply, "+OK\r\n"}},
      {"", {"CLIENT", "NO-EVICT", "maybe"}, error("ERR funnel: CLIENT NO-EVICT MAYBE is not")},
      {"", {"CLIENT", "UNBLOCK", "5"}, error("ERR funnel: CLIENT UNBLOCK 5 is not supported")},
      {"", {"CLIENT", "NO-TOUCH", "on"}, error("ERR funnel: CLIENT NO-TOUCH ON is not supported")},
      {"", {"CLIENT", "NOSUCH"}, error("ERR unknown subcommand 'NOSUCH'")},
  });
}

// Replication, cluster and other commands that need a connection of their own: refused.
TEST_F(Planner, RefusedFamilies) {
  check({
      {"", {"SYNC"}, error("ERR funnel: SYNC is not supported")},
      {"", {"PSYNC", "x", "0"}, error("ERR funnel: PSYNC is not supported")},
      {"", {"READONLY"}, error("ERR funnel: READONLY is not supported")},
      {"", {"ASKING"}, error("ERR funnel: ASKING is not supported")},
  });
}

// CLIENT PAUSE / UNPAUSE (issue #15, item 7): on the default deny list; where the policy allows
// them, out of band to the primary, recorded by the session. While a pause holds writes, what
// Redis would postpone waits in Funnel (HoldFor::kPause) and everything else flows.
TEST_F(Planner, ClientPauseAndWhatAPauseHolds) {
  const Expect out_of_band{Action::kForward, "", fx::kOutOfBand | fx::kRecordPause};
  check({
      {"",
       {"CLIENT", "PAUSE", "100"},
       error(std::string(kNoPerm) + "client|pause'", fx::kPermissionDenied)},
      {"",
       {"CLIENT", "UNPAUSE"},
       error(std::string(kNoPerm) + "client|unpause'", fx::kPermissionDenied)},
      {"nothing-denied", {"CLIENT", "PAUSE", "100", "WRITE"}, out_of_band},
      {"nothing-denied", {"CLIENT", "UNPAUSE"}, out_of_band},
      {"nothing-denied writes-paused", {"CLIENT", "UNPAUSE"}, out_of_band},
      {"nothing-denied", {"CLIENT", "UNPAUSE", "x"}, error("ERR wrong number of arguments")},
      {"nothing-denied", {"CLIENT", "PAUSE"}, error("ERR wrong number of arguments")},
      {"nothing-denied pinned",
       {"CLIENT", "PAUSE", "100"},
       {Action::kForward,
        "",
        fx::kOutOfBand | fx::kRecordPause | fx::kNoRetry,
        Target::kPinned,
        {},
        {},
        {},
        Lane::pinned(7)}},
      {"writes-paused", {"SET", "k", "v"}, kPauseHold},
      {"nothing-denied writes-paused", {"EVAL", "return 1", "0"}, kPauseHold},
      {"writes-paused", {"PUBLISH", "c", "m"}, kPauseHold},
      {"writes-paused", {"PFCOUNT", "h"}, kPauseHold},
      {"writes-paused", {"GET", "k"}, kShared},
      {"nothing-denied writes-paused", {"EVAL", "#!lua flags=no-writes\nreturn 1", "0"}, kShared},
      {"writes-paused", {"PING"}, local(LocalCommand::kPing)},
      {"writes-paused", {"INFO"}, {Action::kForward, "", fx::kAppendFunnelInfo}},
      {"writes-paused", {"SET", "k"}, error("ERR wrong number of arguments")},  // at once
      {"writes-paused read-only-user",
       {"SET", "k", "v"},
       error(std::string(kNoPerm), fx::kPermissionDenied)},      // refusals first
      {"writes-paused in-flight-db0 db1", {"GET", "k"}, kHold},  // the lane first
      {"", {"SET", "k", "v"}, kShared},
      // The held MULTI: queued as usual; EXEC of a block that writes waits out the pause.
      {"queuing", {"SET", "k", "v"}, {Action::kQueue, "", fx::kQueuedWrite}},
      {"queuing", {"GET", "k"}, kQueue},
      {"queuing writes-paused tx-writes", {"EXEC"}, kPauseHold},
      {"queuing writes-paused", {"EXEC"}, {Action::kExec}},
      {"queuing tx-writes", {"EXEC"}, {Action::kExec}},
      // On a pinned link a postponed write stalls only the client's own link: Redis holds it.
      {"pinned writes-paused", {"SET", "k", "v"}, kPinned},
  });
}

// FUNNEL PAUSE (issue #17, item 2): every request that would reach Redis waits in Funnel, in the
// client's order (the session stops at the held one); refusals and Funnel's own answers do not.
TEST_F(Planner, FunnelPauseHoldsEverythingSent) {
  check({
      {"holding-all", {"SET", "k", "v"}, kPauseHold},
      {"holding-all", {"GET", "k"}, kPauseHold},  // reads too: Redis may be restarting
      {"holding-all", {"INFO"}, kPauseHold},
      {"holding-all", {"WATCH", "k"}, kPauseHold},            // no pinned link leased meanwhile
      {"holding-all", {"BLPOP", "q", "0"}, kPauseHold},       // nor for a blocking command
      {"holding-all", {"PING"}, local(LocalCommand::kPing)},  // answered by Funnel
      {"holding-all", {"FUNNEL", "RESUME"}, local(LocalCommand::kFunnel)},
      {"holding-all", {"SET", "k"}, error("ERR wrong number of arguments")},
      {"holding-all read-only-user",
       {"SET", "k", "v"},
       error(std::string(kNoPerm), fx::kPermissionDenied)},  // refusals first
      {"holding-all unauthenticated", {"GET", "k"}, error("NOAUTH")},
      {"holding-all in-flight-db0 db1", {"GET", "k"}, kHold},  // the lane first
      {"queuing holding-all", {"SET", "k", "v"}, {Action::kQueue, "", fx::kQueuedWrite}},
      {"queuing holding-all", {"EXEC"}, kPauseHold},  // even a read-only block waits
      {"queuing holding-all", {"DISCARD"}, {Action::kDiscard}},
  });
}

// The primary failing over (issue #17 item 3, routing/failover_hold.hpp): what would reach it
// waits in Funnel, in the client's order; reads a replica route may serve, refusals and Funnel's
// own answers do not wait.
TEST_F(Planner, FailoverHoldsWhatGoesToThePrimary) {
  check({
      {"failover", {"SET", "k", "v"}, kFailoverHold},
      {"failover", {"GET", "k"}, kFailoverHold},  // policy primary: reads go to it too
      {"failover route-reads", {"GET", "k"}, {Action::kForward, "", 0, Target::kReadRoute}},
      {"failover route-reads", {"SET", "k", "v"}, kFailoverHold},
      {"failover route-reads db1", {"GET", "k"}, kFailoverHold},  // only db 0 reads go to replicas
      {"failover", {"NOSUCH"}, error("ERR unknown command 'NOSUCH'")},
      {"failover", {"PING"}, local(LocalCommand::kPing)},
      {"failover", {"SET", "k"}, error("ERR wrong number of arguments")},
      {"failover read-only-user",
       {"SET", "k", "v"},
       error(std::string(kNoPerm), fx::kPermissionDenied)},  // refusals first
      {"failover in-flight-db0 db1", {"GET", "k"}, kHold},   // the lane first
      {"failover", {"WATCH", "k"}, kFailoverHold},           // no pinned link to the old primary
      {"failover", {"BLPOP", "q", "0"}, kFailoverHold},
      {"queuing failover", {"SET", "k", "v"}, {Action::kQueue, "", fx::kQueuedWrite}},
      {"queuing failover", {"EXEC"}, kFailoverHold},
      {"queuing failover", {"DISCARD"}, {Action::kDiscard}},
      {"", {"SET", "k", "v"}, kShared},
  });
}

// Pinned clients are held as shared ones (issue #17 items 2 and 3): under FUNNEL PAUSE and while
// the primary fails over, what would go on the pinned link waits; Funnel's own answers do not.
TEST_F(Planner, PinnedClientsAreHeldByAPauseAndAFailover) {
  check({
      {"pinned holding-all", {"SET", "k", "v"}, kPauseHold},
      {"pinned holding-all", {"GET", "k"}, kPauseHold},
      {"pinned holding-all", {"MULTI"}, kPauseHold},
      {"pinned in-multi holding-all", {"EXEC"}, kPauseHold},
      {"pinned in-multi holding-all", {"PING"}, kPauseHold},  // queued on the link
      {"pinned holding-all", {"BLPOP", "q", "0"}, kPauseHold},
      {"pinned tracking resp3 holding-all", {"CLIENT", "TRACKING", "off"}, kPauseHold},
      {"pinned holding-all", {"PING"}, local(LocalCommand::kPing)},
      {"pinned holding-all", {"FUNNEL", "RESUME"}, local(LocalCommand::kFunnel)},
      {"pinned in-flight holding-all", {"RESET"}, kHold},  // the lane first
      {"pinned failover", {"SET", "k", "v"}, kFailoverHold},
      {"pinned failover", {"GET", "k"}, kFailoverHold},  // the link leads to the old primary
      {"pinned in-multi failover", {"EXEC"}, kFailoverHold},
      {"pinned failover", {"PING"}, local(LocalCommand::kPing)},
      {"pinned writes-paused", {"SET", "k", "v"}, kPinned},  // CLIENT PAUSE: Redis postpones it
      {"pinned", {"SET", "k", "v"}, kPinned},
  });
}

// A WATCH whose pinned link was lost (a Redis restart, a failover): the transaction is doomed,
// as when a watched key changed; EXEC is answered nil by Funnel, without a hold.
TEST_F(Planner, ALostWatchMakesExecAnswerNil) {
  check({
      {"watch-lost", {"WATCH", "k"}, {Action::kReply, "+OK"}},  // no link leased
      {"watch-lost holding-all", {"WATCH", "k"}, {Action::kReply, "+OK"}},
      {"watch-lost", {"UNWATCH"}, local(LocalCommand::kUnwatch)},  // forgets the lost WATCH
      {"", {"UNWATCH"}, {Action::kReply, "+OK"}},
      {"watch-lost", {"MULTI"}, {Action::kBeginMulti}},
      {"queuing watch-lost", {"SET", "k", "v"}, {Action::kQueue, "", fx::kQueuedWrite}},
      {"queuing watch-lost", {"EXEC"}, {Action::kExec}},
      {"queuing watch-lost failover", {"EXEC"}, {Action::kExec}},  // never reaches Redis
      {"queuing watch-lost holding-all", {"EXEC"}, {Action::kExec}},
      {"queuing watch-lost", {"DISCARD"}, {Action::kDiscard}},
      {"watch-lost", {"GET", "k"}, kShared},
  });
}

// MONITOR (docs/compatibility.md, "server: MONITOR"): a pinned link of its own; while it streams,
// the client is answered as Redis answers a monitor (monitor_rule.hpp), on shared links.
TEST_F(Planner, Monitor) {
  const Expect shared_lane{Action::kForward};
  check({
      {"", {"MONITOR"}, error(std::string(kNoPerm) + "monitor'", fx::kPermissionDenied)},
      {"allow-monitor", {"MONITOR"}, lease(PinReason::kMonitor)},
      {"allow-monitor in-flight", {"MONITOR"}, kHold},  // after earlier replies
      {"allow-monitor queuing",
       {"MONITOR"},
       error("ERR funnel: MONITOR inside MULTI", fx::kAbortTransaction)},
      {"allow-monitor pinned monitor", {"MONITOR"}, pinned(fx::kStartMonitor)},
      {"allow-monitor pinned", {"MONITOR"}, error("ERR funnel: MONITOR cannot start")},
      {"allow-monitor pinned monitor monitoring", {"MONITOR"}, {Action::kReply}},  // no reply
      {"pinned monitor monitoring", {"GET", "k"}, error("ERR Replica can't interact")},
      {"pinned monitor monitoring", {"PUBLISH", "c", "m"}, error("ERR Replica can't interact")},
      {"pinned monitor monitoring", {"NOSUCH"}, error("ERR unknown command 'NOSUCH'")},
      {"read-only-user pinned monitor monitoring",
       {"SET", "k", "v"},
       error(std::string(kNoPerm) + "set'", fx::kPermissionDenied)},  // NOPERM first
      {"pinned monitor monitoring", {"PING"}, local(LocalCommand::kPing)},
      {"pinned monitor monitoring", {"INFO", "server"}, shared_lane},
      {"pinned monitor monitoring in-flight-pinned", {"INFO", "server"}, kHold},
      {"pinned monitor monitoring", {"QUIT"}, kClose},
      {"pinned monitor monitoring", {"RESET"}, {Action::kRelease}},
      {"pinned monitor monitoring in-flight-pinned", {"RESET"}, kHold},  // after MONITOR's +OK
      {"pinned monitor monitoring done", {"PING"}, {Action::kRelease}},  // MONITOR was refused
      {"pinned monitor monitoring", {"MULTI"}, error("ERR funnel: MULTI, WATCH")},
      {"pinned monitor monitoring", {"WATCH", "k"}, error("ERR funnel: MULTI, WATCH")},
  });
}

}  // namespace
}  // namespace funnel::plan

namespace funnel::plan {
namespace {

constexpr std::string_view kCross = "CROSSSLOT Keys in request don't hash to the same slot";
Expect split(Merge merge) {
  Expect e{Action::kFanOut};
  e.merge = merge;
  return e;
}
Expect queued_slot(std::uint16_t slot) {
  Expect e{Action::kQueue, "", fx::kQueuedSlot | fx::kQueuedWrite};
  e.slot = slot;
  return e;
}

// Issue #16, CROSSSLOT rules (checked against redis-server 7.0.15 with cluster-enabled yes and
// every slot on one node): "a" is in slot 15495, "b" in 3300, "{a}x" shares "a"'s slot.
TEST_F(Planner, ClusterSlotRules) {
  check({
      // Single-node mode: nothing is checked, the node answers.
      {"", {"MGET", "a", "b"}, kShared},
      {"", {"MSETNX", "a", "1", "b", "2"}, kShared},
      // One slot (hash tags included): forwarded as it is.
      {"cluster", {"GET", "a"}, kShared},
      {"cluster", {"SET", "b", "1"}, kShared},
      {"cluster", {"MGET", "a", "{a}x", "a"}, kShared},
      {"cluster", {"RENAME", "a", "{a}b"}, kShared},
      {"cluster", {"PING"}, local(LocalCommand::kPing)},
      // Split by slot, merged as one Redis would answer.
      {"cluster", {"MGET", "a", "b"}, split(Merge::kSlotArray)},
      {"cluster", {"mget", "a", "b", "a"}, split(Merge::kSlotArray)},
      {"cluster", {"MSET", "a", "1", "b", "2"}, split(Merge::kSlotAllOk)},
      {"cluster", {"DEL", "a", "b"}, split(Merge::kSlotSum)},
      {"cluster", {"UNLINK", "a", "b"}, split(Merge::kSlotSum)},
      {"cluster", {"EXISTS", "a", "b"}, split(Merge::kSlotSum)},
      {"cluster", {"TOUCH", "a", "b"}, split(Merge::kSlotSum)},
      // An MSET with a dangling key across slots: CROSSSLOT, as Redis (its arity error only
      // when the keys share a slot).
      {"cluster", {"MSET", "a", "1", "b"}, error(std::string(kCross))},
      {"cluster", {"MSET", "a", "1", "{a}b"}, kShared},
      // Atomic multi-key commands: Redis's CROSSSLOT.
      {"cluster", {"MSETNX", "a", "1", "b", "2"}, error(std::string(kCross))},
      {"cluster", {"RENAME", "a", "b"}, error(std::string(kCross))},
      {"cluster", {"SMOVE", "a", "b", "m"}, error(std::string(kCross))},
      {"cluster", {"SUNIONSTORE", "a", "b", "c"}, error(std::string(kCross))},
      {"cluster nothing-denied", {"EVAL", "return 1", "2", "a", "b"}, error(std::string(kCross))},
      {"cluster nothing-denied", {"EVALSHA", "abc", "2", "a", "b"}, error(std::string(kCross))},
      {"cluster nothing-denied", {"FCALL", "f", "2", "a", "b"}, error(std::string(kCross))},
      {"cluster nothing-denied", {"EVAL", "return 1", "2", "a", "{a}b"}, kShared},
      {"cluster", {"XREAD", "STREAMS", "a", "b", "0", "0"}, error(std::string(kCross))},
      // WATCH and blocking commands: refused before a link is leased.
      {"cluster", {"WATCH", "a", "b"}, error(std::string(kCross))},
      {"cluster", {"WATCH", "a", "{a}b"}, lease(PinReason::kWatch)},
      {"cluster", {"BLPOP", "a", "b", "1"}, error(std::string(kCross))},
      // The refusal order still comes first.
      {"cluster unauthenticated", {"MGET", "a", "b"}, error("NOAUTH")},
      // On a pinned link nothing is split.
      {"cluster pinned", {"MGET", "a", "b"}, error(std::string(kCross))},
      {"cluster pinned", {"MGET", "a", "{a}b"}, kPinned},
  });
}

Expect keyless(PartTarget part, Merge merge) {
  Expect e{Action::kFanOut};
  e.merge = merge;
  e.part = part;
  return e;
}

// Issue #16, item 5: keyless commands a client expects one answer from, over every primary (or
// every node for scripts); the rest keep their single-node route. Refusals come first.
TEST_F(Planner, ClusterKeylessFanOut) {
  check({
      {"", {"DBSIZE"}, kShared},  // single-node mode: as it is
      {"cluster", {"DBSIZE"}, keyless(PartTarget::kEachPrimary, Merge::kNodeSum)},
      {"cluster", {"dbsize"}, keyless(PartTarget::kEachPrimary, Merge::kNodeSum)},
      {"cluster nothing-denied",
       {"KEYS", "*"},
       keyless(PartTarget::kEachPrimary, Merge::kNodeConcat)},
      {"cluster", {"RANDOMKEY"}, keyless(PartTarget::kEachPrimary, Merge::kNodeRandom)},
      {"cluster", {"SCAN", "0", "MATCH", "k*"}, keyless(PartTarget::kScanShard, Merge::kNodeScan)},
      {"cluster nothing-denied",
       {"FLUSHALL"},
       keyless(PartTarget::kEachPrimary, Merge::kNodeAllOk)},
      {"cluster nothing-denied",
       {"FLUSHDB", "ASYNC"},
       keyless(PartTarget::kEachPrimary, Merge::kNodeAllOk)},
      {"cluster",
       {"SCRIPT", "LOAD", "return 1"},
       keyless(PartTarget::kEveryNode, Merge::kNodeAgree)},
      {"cluster", {"script", "flush"}, keyless(PartTarget::kEveryNode, Merge::kNodeAgree)},
      {"cluster", {"SCRIPT", "EXISTS", "abc"}, keyless(PartTarget::kEveryNode, Merge::kNodeAnd)},
      {"cluster nothing-denied",
       {"FUNCTION", "LOAD", "#!lua name=x\n"},
       keyless(PartTarget::kEachPrimary, Merge::kNodeAgree)},
      {"cluster", {"FUNCTION", "FLUSH"}, keyless(PartTarget::kEachPrimary, Merge::kNodeAgree)},
      {"cluster",
       {"FUNCTION", "DELETE", "x"},
       keyless(PartTarget::kEachPrimary, Merge::kNodeAgree)},
      // The deny list (FLUSHALL and FLUSHDB by default) and ACLs still decide first.
      {"cluster", {"FLUSHALL"}, error("NOPERM", fx::kPermissionDenied)},
      // Other keyless commands: their single-node route.
      {"cluster", {"TIME"}, kShared},
      {"cluster", {"LASTSAVE"}, kShared},
      {"cluster", {"PING"}, local(LocalCommand::kPing)},
      // Inside MULTI it is queued (the block goes to one shard).
      {"cluster queuing", {"DBSIZE"}, kQueue},
  });
}

// Issue #16 item 8: a shard's primary is held (the session sets `failover` when any shard the
// request reaches is held: shard_reach_test.cpp). A split or keyless fan-out waits whole, a read's
// too under a read policy that reads replicas, since its parts go to the primaries; a
// single-slot read may still take its read route.
TEST_F(Planner, ClusterSplitsAndFanOutsWaitForAHeldShard) {
  check({
      {"cluster failover", {"MGET", "a", "b"}, kFailoverHold},
      {"cluster failover route-reads", {"MGET", "a", "b"}, kFailoverHold},
      {"cluster failover", {"MSET", "a", "1", "b", "2"}, kFailoverHold},
      {"cluster failover", {"DEL", "a", "b"}, kFailoverHold},
      {"cluster failover", {"DBSIZE"}, kFailoverHold},
      {"cluster failover route-reads", {"DBSIZE"}, kFailoverHold},
      {"cluster failover route-reads", {"SCAN", "0"}, kFailoverHold},
      {"cluster failover", {"SCRIPT", "LOAD", "return 1"}, kFailoverHold},
      {"cluster failover route-reads", {"GET", "a"}, {Action::kForward, "", 0, Target::kReadRoute}},
      // Refusals still answer at once; CROSSSLOT after the hold, as before (its first key's
      // shard held).
      {"cluster failover", {"MSETNX", "a", "1", "b", "2"}, kFailoverHold},
      {"cluster failover", {"FLUSHALL"}, error("NOPERM", fx::kPermissionDenied)},
  });
}

// Sharded pub/sub in cluster mode: one SSUBSCRIBE's channels must share a slot (Redis's CROSSSLOT,
// checked against redis-server 7.0.15 in a 3-node cluster); classic SUBSCRIBE has no keys.
TEST_F(Planner, ClusterShardChannelsShareASlot) {
  check({
      {"cluster", {"SSUBSCRIBE", "a", "b"}, error(std::string(kCross))},
      {"cluster", {"SUNSUBSCRIBE", "a", "b"}, error(std::string(kCross))},
      {"cluster", {"SSUBSCRIBE", "a", "{a}x"}, local(LocalCommand::kPubsub)},
      {"cluster", {"SUNSUBSCRIBE"}, local(LocalCommand::kPubsub)},
      {"cluster", {"SUBSCRIBE", "a", "b"}, local(LocalCommand::kPubsub)},
      {"", {"SSUBSCRIBE", "a", "b"}, local(LocalCommand::kPubsub)},  // single node: as it is
  });
}

// Inside the held MULTI: each command's own keys must share a slot (else CROSSSLOT and EXEC
// aborts); at EXEC the whole block's must (else CROSSSLOT and the block is discarded).
TEST_F(Planner, ClusterSlotRulesInATransaction) {
  check({
      {"cluster queuing", {"SET", "a", "1"}, queued_slot(15495)},
      {"cluster queuing", {"SET", "b", "1"}, queued_slot(3300)},
      {"cluster queuing", {"PING"}, kQueue},
      {"cluster queuing", {"MGET", "a", "b"}, error(std::string(kCross), fx::kAbortTransaction)},
      {"cluster queuing tx-slot-a", {"EXEC"}, {Action::kExec}},
      {"cluster queuing tx-cross-slot", {"EXEC"}, {Action::kDiscard, std::string(kCross)}},
      {"queuing tx-cross-slot", {"EXEC"}, {Action::kExec}},  // single-node: not checked
      {"queuing", {"SET", "a", "1"}, {Action::kQueue, "", fx::kQueuedWrite}},
  });
}

// CLUSTER, READONLY, READWRITE and ASKING in cluster mode (replies: cluster_face_test.cpp).
TEST_F(Planner, ClusterCommandsAnsweredByFunnel) {
  check({
      {"cluster", {"READONLY"}, {Action::kReply, "+OK"}},
      {"cluster", {"READWRITE"}, {Action::kReply, "+OK"}},
      {"cluster", {"ASKING"}, {Action::kReply, "+OK"}},
      {"cluster", {"CLUSTER", "SLOTS"}, {Action::kReply, "*1\r\n*3\r\n:0\r\n:16383\r\n"}},
      {"cluster", {"CLUSTER", "KEYSLOT", "foo"}, {Action::kReply, ":12182\r\n"}},
      {"cluster", {"CLUSTER", "HELP"}, kShared},
      {"cluster nothing-denied",
       {"CLUSTER", "SETSLOT", "1", "STABLE"},
       error("ERR funnel: CLUSTER SETSLOT is refused")},
      {"cluster",
       {"CLUSTER", "COUNTKEYSINSLOT", "1"},
       error("ERR funnel: CLUSTER COUNTKEYSINSLOT is refused")},
      {"cluster", {"CLUSTER", "NOSUCH"}, error("ERR unknown subcommand 'NOSUCH'")},
      {"cluster",
       {"CLUSTER", "KEYSLOT"},
       error("ERR wrong number of arguments for 'cluster|keyslot'")},
      {"cluster unauthenticated", {"CLUSTER", "SLOTS"}, error("NOAUTH")},
      {"", {"CLUSTER", "SLOTS"}, kShared},  // single-node: the node answers
  });
}

}  // namespace
}  // namespace funnel::plan
