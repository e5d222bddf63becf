#pragma once
// Requests that a client's pass over its read buffer hands to idle backend links leave in one
// write per link when the pass ends, instead of after a posted flush. The posted flush costs a
// lone client's round trip one more turn of the event loop (an epoll_wait) before its request
// even leaves; waiting for the end of the pass, not writing at once, keeps the client's whole
// pipeline in one write (a link that failed between two writes of one pipeline would answer the
// first part "outcome unknown" and resend the rest). Links with requests in flight keep batching
// across clients behind their posted flush, as before.
//
// A WriteBatch lives on the stack of the code that reads a client (ClientSession::on_readable)
// or takes the requests another worker handed over (Worker::accept_handoff); BackendLink::submit
// finds it through current(). Only the worker's own thread sees it.
#include <array>
#include <cstddef>
#include <memory>

namespace funnel::backend {

class BackendLink;

class WriteBatch {
 public:
  WriteBatch() : outer_(current_) { current_ = this; }
  ~WriteBatch();
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  // The batch open on this thread, or null.
  static WriteBatch* current() { return current_; }
  // Takes an idle link whose first request was just queued; false when the batch is full (the
  // caller posts a flush as usual).
  bool add(std::shared_ptr<BackendLink> link);

 private:
  // A client's pass rarely reaches more than one link (its pipeline goes to one); a few slots
  // cover SELECT'ed databases and read replicas.
  static constexpr std::size_t kSlots = 4;
  // constinit: read without the TLS wrapper call a thread_local defined in another file costs
  // (BackendLink::submit reads it per request).
  static inline constinit thread_local WriteBatch* current_ = nullptr;
  WriteBatch* outer_;
  std::array<std::shared_ptr<BackendLink>, kSlots> links_;
  std::size_t count_ = 0;
};

}  // namespace funnel::backend
