// Per-worker free list of ClientSession blocks (no I/O). A connection per invocation (the
// serverless case, issue #20) used to cost a new and a delete of the session object each: here a
// closed session's block is kept and handed to the next accepted client, so a worker whose fleet
// connects and leaves at a steady rate allocates no session memory at all.
//
// Memory still follows the fleet: the list keeps at most max(kMinKept, live / 4) blocks (live:
// the worker's sessions at the time), so a burst of 10,000 clients that then leave gives all but
// a quarter of its blocks back as they close, and trim() (the worker's tick) gives back the rest
// down to that bound once the fleet has shrunk.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
// A kept block is poisoned, so AddressSanitizer still reports a use of a session after its
// release as it did when the block was freed.
#define FUNNEL_SLAB_POISON(block, size) ASAN_POISON_MEMORY_REGION(block, size)
#define FUNNEL_SLAB_UNPOISON(block, size) ASAN_UNPOISON_MEMORY_REGION(block, size)
#else
#define FUNNEL_SLAB_POISON(block, size) static_cast<void>(0)
#define FUNNEL_SLAB_UNPOISON(block, size) static_cast<void>(0)
#endif

namespace funnel::client {

class SessionSlab {
 public:
  // Blocks kept whatever the fleet's size: a worker serving a few clients that reconnect keeps
  // them all (64 × ~400 B = 25 KB per worker at most).
  static constexpr std::size_t kMinKept = 64;

  SessionSlab() = default;
  ~SessionSlab() { release_all(); }
  SessionSlab(const SessionSlab&) = delete;
  SessionSlab& operator=(const SessionSlab&) = delete;

  // A block of `size` bytes (every call passes the same: sizeof(ClientSession)) for one session:
  // the last one given back (warm in the cache), or a new one. Throws std::bad_alloc as `new`
  // would.
  void* take(std::size_t size) {
    block_size_ = size;
    if (free_.empty()) {
      ++allocated_;
      return ::operator new(size);
    }
    void* block = free_.back();
    free_.pop_back();
    FUNNEL_SLAB_UNPOISON(block, block_size_);
    return block;
  }

  // Takes back the block of a destroyed session; `live` counts the sessions still open. Kept
  // for reuse while the list is under its bound, freed otherwise.
  void give(void* block, std::size_t live) {
    if (free_.size() < bound(live)) {
      free_.push_back(block);  // the vector's growth is amortised: not an allocation per session
      FUNNEL_SLAB_POISON(block, block_size_);
      return;
    }
    ::operator delete(block);
    ++freed_;
  }

  // Frees what the list holds beyond its bound for `live` sessions (the fleet has shrunk).
  void trim(std::size_t live) {
    const std::size_t keep = bound(live);
    while (free_.size() > keep) {
      FUNNEL_SLAB_UNPOISON(free_.back(), block_size_);
      ::operator delete(free_.back());
      free_.pop_back();
      ++freed_;
    }
    if (free_.empty()) std::vector<void*>().swap(free_);
  }

  std::size_t kept() const { return free_.size(); }
  std::size_t allocated() const { return allocated_; }  // blocks taken from the heap, ever
  std::size_t freed() const { return freed_; }          // blocks given back to the heap, ever
  static std::size_t bound(std::size_t live) { return live / 4 > kMinKept ? live / 4 : kMinKept; }

 private:
  void release_all() {
    for (void* block : free_) {
      FUNNEL_SLAB_UNPOISON(block, block_size_);
      ::operator delete(block);
    }
    free_.clear();
  }

  std::vector<void*> free_;
  std::size_t block_size_ = 0;  // every take() passes the same size
  std::size_t allocated_ = 0;
  std::size_t freed_ = 0;
};

}  // namespace funnel::client
