// ScriptKiller: a short-lived control connection per burst of kills (see script_kill.hpp).
#include "backend/script_kill.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "backend/control_link.hpp"

namespace funnel::backend {

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

namespace {
// Funnel's reply when the backend's is missing: not sent at all, or sent and the connection lost
// (SHUTDOWN closes it on success).
std::string missing_reply(const std::string& address, const std::string& open_error,
                          const std::string& error) {
  if (!open_error.empty()) {
    return "-ERR funnel: backend " + address + " unavailable (" + open_error +
           "); the command was not run\r\n";
  }
  return "-ERR funnel: backend " + address + " closed the connection before replying (" + error +
         "); the command may or may not have run (SHUTDOWN closes it once done)\r\n";
}
}  // namespace

// Opens the connection, sends every queued request in turn, closes.
asio::awaitable<void> ScriptKiller::run(SnapshotPtr snapshot) {
  ControlLink link(io_, settings_, link_name_);
  const std::string open_error = co_await link.open(*snapshot);
  while (!pending_.empty()) {
    Pending next = std::move(pending_.front());
    pending_.pop_front();
    std::string reply;
    std::string error;
    if (open_error.empty()) {
      if (auto bytes = co_await link.call_raw(next.request, error)) reply = std::move(*bytes);
    }
    if (reply.empty()) reply = missing_reply(snapshot->address, open_error, error);
    // A kill that worked: links refused with BUSY meanwhile may reconnect at once.
    if (reply == "+OK\r\n") settings_.busy_ended->fetch_add(1, std::memory_order_relaxed);
    sink_.deliver(next.target, reply, ReplyTiming{0, common::precise_now_ns()});
    if (!link.is_open() && open_error.empty()) break;  // the rest: a fresh connection
  }
  link.close();
  running_ = false;
  if (!pending_.empty()) start(snapshot);  // left after a failed connection: a fresh one
}

}  // namespace funnel::backend
