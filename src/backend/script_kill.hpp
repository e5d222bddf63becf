// Server-wide commands Redis runs even while a script keeps it busy (allow_busy: SCRIPT KILL,
// FUNCTION KILL, FUNCTION STATS, SHUTDOWN), sent out of band. On a shared link they would queue
// behind the very script they are meant to stop (Redis answers nothing else on that connection
// while it runs), so each worker sends them on a short-lived connection of its own, opened as the
// control link is (backend.user, "funnel:control:kill:<worker>"), and relays the backend's reply
// as it is. At most one such connection per worker, only while such requests are in flight:
// further ones queue behind the first and share its connection.
#pragma once

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
