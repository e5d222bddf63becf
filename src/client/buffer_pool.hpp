// Per-worker free list of I/O buffers. Sessions hold a buffer only while bytes are in flight and
// give it back when idle, so an idle client costs no buffer memory and a busy one allocates
// nothing in steady state.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace funnel::client {

class BufferPool {
 public:
  // Small to start: most batches are a few short replies, and a burst of connecting clients
  // should not leave buffer-sized holes in the heap. Buffers grow as needed and keep their size
  // in the pool.
  static constexpr std::size_t kBufferSize = 512;
  static constexpr std::size_t kMaxPooled = 64;  // 1 MB per worker kept for reuse at most
  static constexpr std::size_t kMaxPooledCapacity = 256 * 1024;

  std::string acquire() {
    if (free_.empty()) {
      std::string buffer;
      buffer.reserve(kBufferSize);
      return buffer;
    }
    std::string buffer = std::move(free_.back());
    free_.pop_back();
    return buffer;
  }

  // Takes the buffer back (cleared); frees it if the pool is full or the buffer grew large.
  // Afterwards `buffer` holds no heap memory (capacity() <= 15).
  void release(std::string& buffer) {
    if (buffer.capacity() <= 15) return;  // small-string storage: nothing allocated
    buffer.clear();
    if (free_.size() < kMaxPooled && buffer.capacity() <= kMaxPooledCapacity) {
      free_.push_back(std::move(buffer));
    } else {
      freed_bytes_ += buffer.capacity();
    }
    // Not `buffer = std::string()`: libstdc++ copies an empty small string into the existing
    // allocation and keeps it, so a 200 MB buffer "released" that way stayed allocated.
    std::string().swap(buffer);
  }

  // Bytes handed back to the heap since the last call (the worker trims the heap after bursts).
  std::size_t take_freed_bytes() { return std::exchange(freed_bytes_, 0); }

 private:
  std::vector<std::string> free_;
  std::size_t freed_bytes_ = 0;
};

}  // namespace funnel::client
