// ScriptKiller: a short-lived control connection per burst of kills (see script_kill.hpp).
#include "backend/script_kill.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "backend/control_link.hpp"
#include "command/ascii.hpp"
#include "command/command_table.hpp"
#include "resp/request_parser.hpp"

namespace funnel::backend {

KillIds::KillIds()
    : script(command::command_id("script")), function(command::command_id("function")) {}

bool is_kill_request(std::string_view request) {
  resp::RequestParser parser;
  if (parser.parse(request) != resp::ParseStatus::kComplete) return false;
  const resp::Request& parsed = parser.request();
  return parsed.argc() == 2 && command::iequals(parsed.arg(1), "kill");
}

ScriptKiller::ScriptKiller(asio::io_context& io, const LinkSettings& settings, ReplySink& sink,
                           std::string link_name)
    : io_(io), settings_(settings), sink_(sink), link_name_(std::move(link_name)) {}

void ScriptKiller::submit(SnapshotPtr snapshot, std::string_view request,
                          const ReplyTarget& target) {
  pending_.push_back(Pending{std::string(request), target});
  if (!running_) start(std::move(snapshot));  // else the open connection takes it next
}

// The coroutine holds a reference to this object from the start, so it may outlive the pool
// that made it (it touches only the worker's sink, which outlives both).
void ScriptKiller::start(SnapshotPtr snapshot) {
  running_ = true;
  asio::co_spawn(
      io_,
      [self = shared_from_this(), snapshot = std::move(snapshot)] { return self->run(snapshot); },
      asio::detached);
}

// Opens the connection, sends every queued kill in turn, closes.
asio::awaitable<void> ScriptKiller::run(SnapshotPtr snapshot) {
  ControlLink link(io_, settings_, link_name_);
  const std::string open_error = co_await link.open(*snapshot);
  while (!pending_.empty()) {
    Pending next = std::move(pending_.front());
    pending_.pop_front();
    std::string reply;
    std::string error = open_error;
    if (error.empty()) {
      if (auto bytes = co_await link.call_raw(next.request, error)) reply = std::move(*bytes);
    }
    if (reply.empty()) {
      reply = "-ERR funnel: backend " + snapshot->address + " unavailable for the kill (" + error +
              "); the script was not stopped\r\n";
    }
    sink_.deliver(next.target, reply, ReplyTiming{0, common::precise_now_ns()});
    if (!link.is_open() && open_error.empty()) break;  // the rest: a fresh connection
  }
  link.close();
  running_ = false;
  if (!pending_.empty()) start(snapshot);  // left after a failed connection: a fresh one
}

}  // namespace funnel::backend
