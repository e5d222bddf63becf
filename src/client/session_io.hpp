// A ClientSession's I/O state while bytes are in flight: the unparsed input, the replies not yet
// written and the partial request's parse position. An idle client (issue #20: ten thousand
// idle node-redis 6 clients) holds none of it: its session points at the shared, always empty
// kNoSessionIo, takes a block from the worker's SessionIoPool when bytes arrive or a reply is
// queued, and gives it back once both buffers and the parse position are empty again. The
// buffers inside still come from (and go back to) the worker's BufferPool, which is what the
// process buffer budget counts; a pooled block holds no heap memory of its own beyond itself.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "resp/request_parser.hpp"

namespace funnel::client {

struct SessionIo {
  constexpr SessionIo() = default;
  SessionIo(const SessionIo&) = delete;
  SessionIo& operator=(const SessionIo&) = delete;

  // True when nothing here holds bytes or heap memory: the block can go back to the pool.
  bool unused() const {
    return in.capacity() <= 15 && out.capacity() <= 15 && out_sent == 0 && partial == nullptr;
  }

  std::string in;            // unparsed bytes (a partial request)
  std::string out;           // replies not yet written
  std::size_t out_sent = 0;  // of out, already written
  // Where the partial request at the start of `in` stopped parsing (the worker's parser is
  // shared); only while there is one.
  std::unique_ptr<resp::ParsePosition> partial;
};

// What every session without a block of its own reads: all empty, never written.
extern const SessionIo kNoSessionIo;

// Per-worker free list of SessionIo blocks (no I/O): a busy client takes and gives back one per
// burst of traffic, so it must not cost an allocation each time. Bounded: a worker keeps at
// most kMaxKept blocks (≈ 7 KB), whatever burst of clients came before.
class SessionIoPool {
 public:
  static constexpr std::size_t kMaxKept = 96;

  SessionIoPool() = default;
  ~SessionIoPool() {
    for (SessionIo* block : free_) delete block;
  }
  SessionIoPool(const SessionIoPool&) = delete;
  SessionIoPool& operator=(const SessionIoPool&) = delete;

  SessionIo* take() {
    if (free_.empty()) return new SessionIo();
    SessionIo* block = free_.back();
    free_.pop_back();
    return block;
  }
  // Takes back an unused() block (its buffers already given back to the BufferPool).
  void give(SessionIo* block) {
    if (free_.size() < kMaxKept) {
      free_.push_back(block);  // amortised growth: not an allocation per give
      return;
    }
    delete block;
  }
  std::size_t kept() const { return free_.size(); }

 private:
  std::vector<SessionIo*> free_;
};

}  // namespace funnel::client
