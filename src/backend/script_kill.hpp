// SCRIPT KILL and FUNCTION KILL, sent out of band. On a shared link they would queue behind the
// very script they are meant to stop (Redis answers nothing else on that connection while it
// runs), so each worker sends them on a short-lived connection of its own, opened as the control
// link is (backend.user, "funnel:control:kill:<worker>"), and relays the backend's reply as it
// is. At most one such connection per worker, only while kills are in flight: further kills
// queue behind the first and share its connection.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "backend/backend_snapshot.hpp"
#include "backend/link_settings.hpp"
#include "backend/reply_target.hpp"
#include "net/asio_types.hpp"

namespace funnel::backend {

// The command ids (command::command_id) of SCRIPT and FUNCTION: only their requests need
// is_kill_request().
struct KillIds {
  std::uint16_t script;
  std::uint16_t function;
  KillIds();
  bool maybe(std::uint16_t id) const { return id != 0 && (id == script || id == function); }
};
// True for "SCRIPT KILL" / "FUNCTION KILL" (complete multibulk bytes of a SCRIPT or FUNCTION
// request).
bool is_kill_request(std::string_view request);

class ScriptKiller : public std::enable_shared_from_this<ScriptKiller> {
 public:
  ScriptKiller(asio::io_context& io, const LinkSettings& settings, ReplySink& sink,
               std::string link_name);
  // Queues the request; its reply (or an error saying it was not sent) goes to sink.deliver
  // on this worker's thread. `snapshot` says where the node is.
  void submit(SnapshotPtr snapshot, std::string_view request, const ReplyTarget& target);

 private:
  struct Pending {
    std::string request;
    ReplyTarget target;
  };
  void start(SnapshotPtr snapshot);
  asio::awaitable<void> run(SnapshotPtr snapshot);

  asio::io_context& io_;
  const LinkSettings& settings_;
  ReplySink& sink_;
  std::string link_name_;
  std::deque<Pending> pending_;
  bool running_ = false;
};

}  // namespace funnel::backend
