// What the reply path (ReplyRouter) needs from outside its worker, implemented by server/ (the
// process, which knows every worker's thread and the control thread): posting a batch onto another
// worker's event loop, and the reports that only the control thread acts on. Thread-safe: called
// on any worker's thread.
#pragma once

#include <cstdint>
#include <string>

#include "client/handoff.hpp"

namespace funnel::client {

class PeerWorkers {
 public:
  // Runs ReplyRouter::accept_requests / accept_replies of worker `worker` with `batch`, on that
  // worker's thread, later (never inside the caller).
  virtual void post_requests(unsigned worker, HandoffBatch&& batch) = 0;
  virtual void post_replies(unsigned worker, ReplyBatch&& batch) = 0;
  // The primary refused a write with READONLY: ask the control thread for a fresh resolution.
  virtual void request_reresolve(std::uint64_t epoch_seen) = 0;
  // Cluster mode: a worker saw MOVED, CLUSTERDOWN or a lost link; read the slot map again soon.
  virtual void request_cluster_refresh() = 0;
  // A replica failed a read on this worker: the control thread checks it now.
  virtual void report_node_failure(std::uint32_t node, std::string reason) = 0;

 protected:
  ~PeerWorkers() = default;
};

}  // namespace funnel::client
