// What a monitoring client's requests do (no I/O), row by row against what redis-server 7.0.15
// answered a client in MONITOR mode.
#include "plan/monitor_rule.hpp"

#include <gtest/gtest.h>

#include "command/command_table.hpp"
#include "resp/request_parser.hpp"

namespace funnel::plan {
namespace {

std::string encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& arg : args) out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  return out;
}

MonitorAction action_for(const std::vector<std::string>& args) {
  resp::RequestParser parser;
  parser.prepare();
  const std::string bytes = encode(args);
  EXPECT_EQ(parser.parse(bytes), resp::ParseStatus::kComplete);
  command::Classification cls;
  command::classify(*command::CommandTable::builtin(), parser.request(), cls);
  return monitoring_action(cls);
}

TEST(MonitorMode, AnswersAsRedisAnswersAMonitoringClient) {
  const struct {
    std::vector<std::string> args;
    MonitorAction action;
  } rows[] = {
      {{"PING"}, MonitorAction::kServe},
      {{"ECHO", "hi"}, MonitorAction::kServe},
      {{"CLIENT", "ID"}, MonitorAction::kServe},
      {{"INFO", "server"}, MonitorAction::kServe},
      {{"SUBSCRIBE", "c"}, MonitorAction::kServe},
      {{"HELLO", "3"}, MonitorAction::kServe},
      {{"QUIT"}, MonitorAction::kServe},  // answered, then the connection closes
      {{"RESET"}, MonitorAction::kEnd},
      {{"MONITOR"}, MonitorAction::kIgnore},  // Redis sends nothing back
      {{"GET", "x"}, MonitorAction::kRefuse},
      {{"SET", "x", "1"}, MonitorAction::kRefuse},
      {{"PUBLISH", "c", "m"}, MonitorAction::kRefuse},  // may replicate (hidden from COMMAND)
      {{"SPUBLISH", "c", "m"}, MonitorAction::kRefuse},
      {{"EVAL", "return 1", "0"}, MonitorAction::kRefuse},
      {{"EVALSHA", "abc", "0"}, MonitorAction::kRefuse},
      {{"FCALL", "f", "0"}, MonitorAction::kRefuse},
      {{"PFCOUNT", "h"}, MonitorAction::kRefuse},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(action_for(row.args), row.action) << row.args[0];
  }
}

}  // namespace
}  // namespace funnel::plan
