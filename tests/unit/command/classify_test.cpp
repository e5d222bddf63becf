// Unit tests for classify()'s routes (DESIGN.md section 5): which requests Funnel answers,
// forwards on a shared link, refuses, or rejects; requests are parsed from bytes as in a session.
#include "command/classify.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "request_helpers.hpp"

namespace funnel::command {
namespace {

using test::ParsedRequest;

Classification run(const std::vector<std::string>& args,
                   const CommandTable& table = *CommandTable::builtin()) {
  ParsedRequest request(args);
  EXPECT_EQ(request.status(), resp::ParseStatus::kComplete);
  Classification out;
  classify(table, request.get(), out);
  return out;
}

std::string describe(const std::vector<std::string>& args) {
  std::string text;
  for (const auto& arg : args) text += arg + " ";
  return text;
}

struct LocalCase {
  std::vector<std::string> args;
  LocalCommand local;
};

TEST(ClassifyLocal, AnswersConnectionCommandsItself) {
  const std::vector<LocalCase> cases = {
      {{"PING"}, LocalCommand::kPing},
      {{"ACL", "WHOAMI"}, LocalCommand::kAclWhoami},
      {{"MONITOR"}, LocalCommand::kMonitor},  // on a pinned link of its own (client/)
      {{"ping", "hello"}, LocalCommand::kPing},
      {{"ECHO", "x"}, LocalCommand::kEcho},
      {{"QUIT"}, LocalCommand::kQuit},
      {{"RESET"}, LocalCommand::kReset},
      {{"select", "3"}, LocalCommand::kSelect},
      {{"HELLO"}, LocalCommand::kHello},
      {{"HELLO", "3", "AUTH", "u", "p", "SETNAME", "n"}, LocalCommand::kHello},
      {{"AUTH", "secret"}, LocalCommand::kAuth},
      {{"auth", "user", "secret"}, LocalCommand::kAuth},
      {{"CLIENT", "LIST"}, LocalCommand::kClient},
      {{"client", "setname", "x"}, LocalCommand::kClient},
      {{"CLIENT", "TRACKING", "on"}, LocalCommand::kClient},
      {{"CLIENT", "REPLY", "OFF"}, LocalCommand::kClient},
      {{"CLIENT", "KILL", "ID", "7"}, LocalCommand::kClient},
      {{"CLIENT", "NO-EVICT", "on"}, LocalCommand::kClient},
      {{"MULTI"}, LocalCommand::kMulti},
      {{"exec"}, LocalCommand::kExec},
      {{"DISCARD"}, LocalCommand::kDiscard},
      {{"WATCH", "a", "b"}, LocalCommand::kWatch},
      {{"UNWATCH"}, LocalCommand::kUnwatch},
      {{"SUBSCRIBE", "c"}, LocalCommand::kPubsub},
      {{"psubscribe", "p*", "q*"}, LocalCommand::kPubsub},
      {{"SSUBSCRIBE", "c"}, LocalCommand::kPubsub},
      {{"UNSUBSCRIBE"}, LocalCommand::kPubsub},
      {{"PUNSUBSCRIBE", "p*"}, LocalCommand::kPubsub},
      {{"SUNSUBSCRIBE"}, LocalCommand::kPubsub},
  };
  for (const auto& c : cases) {
    const Classification out = run(c.args);
    EXPECT_EQ(out.route, Route::kLocal) << describe(c.args);
    EXPECT_EQ(out.local, c.local) << describe(c.args);
    EXPECT_NE(out.spec, nullptr) << describe(c.args);
    EXPECT_TRUE(out.error.empty()) << describe(c.args);
  }
  EXPECT_EQ(run({"CLIENT", "tracking", "on"}).spec->name, "client|tracking");
}

TEST(ClassifyLocal, ChecksArityBeforeAnsweringLikeRedis) {
  EXPECT_EQ(run({"ECHO"}).error, "ERR wrong number of arguments for 'echo' command");
  EXPECT_EQ(run({"ECHO", "a", "b"}).error, "ERR wrong number of arguments for 'echo' command");
  EXPECT_EQ(run({"SELECT"}).error, "ERR wrong number of arguments for 'select' command");
  EXPECT_EQ(run({"AUTH"}).error, "ERR wrong number of arguments for 'auth' command");
  EXPECT_EQ(run({"RESET", "x"}).error, "ERR wrong number of arguments for 'reset' command");
  EXPECT_EQ(run({"CLIENT"}).error, "ERR wrong number of arguments for 'client' command");
  EXPECT_EQ(run({"client", "SETNAME"}).error,
            "ERR wrong number of arguments for 'client|setname' command");
  // CLIENT subcommands the table does not know (SETINFO on a 7.0 table) go to Funnel's own
  // handler, which answers them or gives Redis's unknown-subcommand error itself.
  EXPECT_EQ(run({"CLIENT", "SETINFO", "lib-name", "x"}).route, Route::kLocal);
  EXPECT_EQ(run({"CLIENT", "NOPE"}).route, Route::kLocal);
  EXPECT_EQ(run({"CLIENT", "NOPE"}).local, LocalCommand::kClient);
  EXPECT_EQ(run({"OBJECT", "NOPE"}).error, "ERR unknown subcommand 'NOPE'. Try OBJECT HELP.");
  EXPECT_EQ(run({"OBJECT", "NOPE"}).route, Route::kReject);
  EXPECT_EQ(run({"ECHO"}).route, Route::kReject);
  EXPECT_EQ(run({"QUIT", "extra"}).route, Route::kLocal);  // QUIT's arity is -1 in Redis 7.0
}

TEST(ClassifyUnsupported, RefusesCommandsThatNeedTheirOwnConnection) {
  const std::vector<std::vector<std::string>> cases = {
      {"SYNC"},
      {"PSYNC", "?", "-1"},
      {"REPLCONF", "listening-port", "1"},
      {"WAIT", "1", "0"},
      {"READONLY"},
      {"READWRITE"},
      {"ASKING"},
      {"BLPOP", "k", "0"},
      {"BRPOP", "k", "0"},
      {"BLMOVE", "a", "b", "LEFT", "RIGHT", "0"},
      {"BRPOPLPUSH", "a", "b", "0"},
      {"BZPOPMIN", "k", "0"},
      {"BZPOPMAX", "k", "0"},
      {"BLMPOP", "0", "1", "k", "LEFT"},
      {"BZMPOP", "0", "1", "k", "MIN"},
  };
  for (const auto& args : cases) {
    const Classification out = run(args);
    EXPECT_EQ(out.route, Route::kUnsupported) << describe(args);
    std::string upper = args[0];
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(out.error.rfind("ERR funnel: " + upper + " is not supported through Funnel yet (", 0),
              0u)
        << out.error;
    EXPECT_EQ(out.error.back(), ')') << out.error;
    EXPECT_NE(out.error.find("dedicated backend connection"), std::string::npos) << out.error;
  }
}

TEST(ClassifyUnsupported, SaysWhatAndWhy) {
  EXPECT_EQ(run({"sync"}).error,
            "ERR funnel: SYNC is not supported through Funnel yet (replication needs a dedicated "
            "backend connection)");
  EXPECT_TRUE(run({"blpop", "k", "0"}).blocking);
  EXPECT_TRUE(run({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}).blocking);
  EXPECT_FALSE(run({"XREAD", "STREAMS", "s", "$"}).blocking);
  EXPECT_FALSE(run({"WAIT", "1", "0"}).blocking);
  EXPECT_EQ(run({"blpop", "k", "0"}).error,
            "ERR funnel: BLPOP is not supported through Funnel yet (a blocking command needs a "
            "dedicated backend connection)");
  EXPECT_EQ(unsupported_error("X Y", "why"),
            "ERR funnel: X Y is not supported through Funnel yet (why)");
}

TEST(ClassifyUnsupported, ArityErrorsComeFirstAsInRedis) {
  EXPECT_EQ(run({"MULTI", "x"}).route, Route::kReject);
  EXPECT_EQ(run({"MULTI", "x"}).error, "ERR wrong number of arguments for 'multi' command");
  EXPECT_EQ(run({"SUBSCRIBE"}).error, "ERR wrong number of arguments for 'subscribe' command");
  EXPECT_EQ(run({"BLPOP", "k"}).error, "ERR wrong number of arguments for 'blpop' command");
}

TEST(ClassifyXread, BlocksOnlyWithBlockBeforeStreams) {
  const auto route = [](const std::vector<std::string>& args) { return run(args).route; };
  EXPECT_EQ(route({"XREAD", "STREAMS", "s", "0"}), Route::kForward);
  EXPECT_EQ(route({"XREAD", "COUNT", "10", "STREAMS", "s", "0"}), Route::kForward);
  EXPECT_EQ(route({"XREAD", "STREAMS", "block", "0"}), Route::kForward);  // a stream named block
  EXPECT_EQ(route({"XREAD", "STREAMS", "s", "t", "BLOCK", "0"}), Route::kForward);
  EXPECT_EQ(route({"XREAD", "COUNT", "1", "BLOCK"}), Route::kForward);  // Redis: syntax error
  EXPECT_EQ(route({"xread", "block", "0", "streams", "s", "$"}), Route::kUnsupported);
  EXPECT_EQ(route({"XREAD", "COUNT", "5", "BLOCK", "100", "STREAMS", "s", "$"}),
            Route::kUnsupported);
  EXPECT_EQ(route({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}), Route::kForward);
  EXPECT_EQ(route({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}),
            Route::kUnsupported);
  EXPECT_EQ(route({"XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">"}),
            Route::kUnsupported);
  // A group or consumer named "block" is not the BLOCK option, as Redis parses it.
  EXPECT_EQ(route({"XREADGROUP", "GROUP", "block", "c", "STREAMS", "s", ">"}), Route::kForward);
  EXPECT_EQ(route({"XREADGROUP", "GROUP", "g", "BLOCK", "STREAMS", "s", ">"}), Route::kForward);
  // Options Redis rejects before it could block: NOACK and GROUP belong to XREADGROUP only.
  EXPECT_EQ(route({"XREAD", "NOACK", "BLOCK", "0", "STREAMS", "s", "0"}), Route::kForward);
  EXPECT_EQ(route({"XREAD", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", "0"}),
            Route::kForward);
  EXPECT_EQ(run({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}).error,
            "ERR funnel: XREAD is not supported through Funnel yet (a blocking command needs a "
            "dedicated backend connection)");
  EXPECT_TRUE(run({"XREAD", "STREAMS", "s", "0"}).read_only);
  EXPECT_FALSE(run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}).read_only);
}

TEST(ClassifyForward, SendsOrdinaryCommandsToASharedLink) {
  const auto get = run({"GET", "k"});
  EXPECT_EQ(get.route, Route::kForward);
  EXPECT_TRUE(get.read_only);
  EXPECT_EQ(get.spec->name, "get");
  EXPECT_EQ(get.reply_edit, ReplyEdit::kNone);
  EXPECT_FALSE(run({"SET", "k", "v"}).read_only);
  EXPECT_EQ(run({"SET", "k", "v"}).route, Route::kForward);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"PUBLISH", "c", "m"},
                                             {"SPUBLISH", "c", "m"},
                                             {"PUBSUB", "CHANNELS"},
                                             {"PUBSUB", "NUMSUB", "c"},
                                             {"pubsub", "shardchannels"},
                                             {"PUBSUB", "NUMPAT"},
                                             {"COMMAND"},
                                             {"COMMAND", "COUNT"},
                                             {"command", "info", "get"},
                                             {"COMMAND", "DOCS"},
                                             {"CONFIG", "GET", "maxmemory"},
                                             {"EVAL", "return 1", "0"},
                                             {"FLUSHALL"},
                                             {"SCRIPT", "LOAD", "return 1"},
                                             {"OBJECT", "ENCODING", "k"}}) {
    const Classification out = run(args);
    EXPECT_EQ(out.route, Route::kForward) << describe(args) << out.error;
    EXPECT_TRUE(out.error.empty()) << describe(args);
  }
}

TEST(ClassifyForward, MarksInfoForFunnelsOwnSection) {
  EXPECT_EQ(run({"INFO"}).reply_edit, ReplyEdit::kFunnelInfo);
  EXPECT_EQ(run({"info", "server"}).reply_edit, ReplyEdit::kFunnelInfo);
  EXPECT_EQ(run({"INFO"}).route, Route::kForward);
  EXPECT_FALSE(run({"INFO"}).read_only);  // INFO has no readonly flag in Redis 7.0
}

// Funnel's one subscriber link stands for all its subscribers: these counts are corrected.
TEST(ClassifyForward, MarksThePubsubCountsFunnelCorrects) {
  const struct {
    std::vector<std::string> args;
    ReplyEdit edit;
  } rows[] = {
      {{"PUBLISH", "c", "m"}, ReplyEdit::kPublishCount},
      {{"spublish", "c", "m"}, ReplyEdit::kShardPublishCount},
      {{"PUBSUB", "NUMSUB", "c"}, ReplyEdit::kNumsubCount},
      {{"PUBSUB", "numsub"}, ReplyEdit::kNumsubCount},
      {{"PUBSUB", "SHARDNUMSUB", "c"}, ReplyEdit::kShardNumsubCount},
      {{"PUBSUB", "NUMPAT"}, ReplyEdit::kNone},  // unique patterns: the link's are the clients'
      {{"PUBSUB", "CHANNELS"}, ReplyEdit::kNone},
      {{"PUBSUB", "SHARDCHANNELS"}, ReplyEdit::kNone},
      {{"GET", "k"}, ReplyEdit::kNone},
  };
  for (const auto& row : rows) {
    const Classification out = run(row.args);
    EXPECT_EQ(out.route, Route::kForward) << describe(row.args);
    EXPECT_EQ(out.reply_edit, row.edit) << describe(row.args);
  }
}

// Redis's allow_busy flag: what Redis runs while a script keeps it busy. Forwarded, these must
// not wait behind that script on a link; the rest are Funnel's own or refused anyway.
TEST(ClassifyForward, MarksAllowBusyCommandsOutOfBand) {
  struct Case {
    std::vector<std::string> args;
    bool out_of_band;
  };
  const std::vector<Case> cases = {
      {{"SCRIPT", "KILL"}, true},
      {{"function", "kill"}, true},
      {{"FUNCTION", "STATS"}, true},
      {{"SHUTDOWN", "NOSAVE"}, true},
      {{"shutdown"}, true},
      {{"SCRIPT", "LOAD", "return 1"}, false},
      {{"FUNCTION", "LIST"}, false},
      {{"EVAL", "return 1", "0"}, false},
      {{"GET", "k"}, false},
      {{"INFO"}, false},
      {{"SCRIPT", "KILL", "x"}, false},  // Redis's arity error, from Funnel
      {{"MULTI"}, false},                // allow_busy, but Funnel's own
      {{"HELLO", "3"}, false},
      {{"RESET"}, false},
  };
  for (const Case& c : cases) {
    const Classification out = run(c.args);
    EXPECT_EQ(out.out_of_band, c.out_of_band) << describe(c.args);
    if (c.out_of_band) {
      EXPECT_EQ(out.route, Route::kForward) << describe(c.args);
    }
  }
  // A reused result forgets it.
  const auto table = CommandTable::builtin();
  Classification out;
  ParsedRequest kill({"SCRIPT", "KILL"}), get({"GET", "k"});
  classify(*table, kill.get(), out);
  classify(*table, get.get(), out);
  EXPECT_FALSE(out.out_of_band);
}

TEST(ClassifyForward, AcceptsInlineRequests) {
  ParsedRequest request(ParsedRequest::Inline{}, "get k\r\n");
  ASSERT_EQ(request.status(), resp::ParseStatus::kComplete);
  Classification out;
  classify(*CommandTable::builtin(), request.get(), out);
  EXPECT_EQ(out.route, Route::kForward);
  EXPECT_TRUE(out.read_only);
}

TEST(ClassifyReject, UnknownCommandsAreNeverReads) {
  const Classification out = run({"NOPE", "k"});
  EXPECT_EQ(out.route, Route::kReject);
  EXPECT_EQ(out.spec, nullptr);
  EXPECT_FALSE(out.read_only);
  EXPECT_EQ(out.local, LocalCommand::kNone);
}

TEST(Classify, ReusedResultIsResetEachTime) {
  const auto table = CommandTable::builtin();
  Classification out;
  ParsedRequest unknown({"NOPE"}), info({"INFO"}), get({"GET", "k"}), ping({"PING"});
  classify(*table, unknown.get(), out);
  EXPECT_FALSE(out.error.empty());
  classify(*table, info.get(), out);
  EXPECT_TRUE(out.error.empty());
  EXPECT_EQ(out.reply_edit, ReplyEdit::kFunnelInfo);
  classify(*table, ping.get(), out);
  EXPECT_EQ(out.local, LocalCommand::kPing);
  EXPECT_EQ(out.reply_edit, ReplyEdit::kNone);
  classify(*table, get.get(), out);
  EXPECT_EQ(out.local, LocalCommand::kNone);
  EXPECT_EQ(out.route, Route::kForward);
}

TEST(Classify, ForwardAndLocalPathsAllocateNothing) {
  const auto table = CommandTable::builtin();
  ParsedRequest unknown({"NOPE", std::string(200, 'x')});
  ParsedRequest get({"GET", "k"}), set({"set", "k", "v"}), client({"Client", "List"});
  ParsedRequest ping({"PING"}), publish({"PUBLISH", "c", "m"}), info({"INFO"});
  ParsedRequest xread({"XREAD", "COUNT", "1", "STREAMS", "s", "0"});
  Classification out;
  classify(*table, unknown.get(), out);  // leaves capacity in out.error
  const std::size_t before = test::allocations();
  for (const ParsedRequest* request : {&get, &set, &client, &ping, &publish, &info, &xread}) {
    classify(*table, request->get(), out);
    EXPECT_NE(out.route, Route::kReject);
  }
  EXPECT_EQ(test::allocations(), before);
}

}  // namespace
}  // namespace funnel::command
