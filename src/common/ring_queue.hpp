// A FIFO on a growable power-of-two ring: the in-flight queues of backend links and clients use it
// so that steady-state push/pop never allocates (std::deque allocates a block every few hundred
// pushes and an empty one still costs ~0.7 KB).
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include "common/invariant.hpp"

namespace funnel::common {

template <typename T>
class RingQueue {
 public:
  RingQueue() = default;
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;
  RingQueue(RingQueue&& other) noexcept { swap(other); }
  RingQueue& operator=(RingQueue&& other) noexcept {
    RingQueue(std::move(other)).swap(*this);
    return *this;
  }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }

  void push_back(T value) {
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = std::move(value);
    ++size_;
  }
  T& front() {
    FUNNEL_INVARIANT(size_ > 0);
    return slots_[head_];
  }
  const T& front() const { return slots_[head_]; }
  T& back() { return slots_[(head_ + size_ - 1) & (capacity_ - 1)]; }
  T& operator[](std::size_t i) { return slots_[(head_ + i) & (capacity_ - 1)]; }
  const T& operator[](std::size_t i) const { return slots_[(head_ + i) & (capacity_ - 1)]; }

  void pop_front() {
    FUNNEL_INVARIANT(size_ > 0);
    slots_[head_] = T{};
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  void clear() {
    while (!empty()) pop_front();
    head_ = 0;
  }
  // Frees the storage when empty, so idle owners hold nothing.
  void release_if_empty() {
    if (size_ == 0 && capacity_ > 0) {
      slots_.reset();
      capacity_ = 0;
      head_ = 0;
    }
  }

 private:
  void grow() {
    std::size_t new_capacity = capacity_ == 0 ? 8 : capacity_ * 2;
    auto fresh = std::make_unique<T[]>(new_capacity);
    for (std::size_t i = 0; i < size_; ++i) fresh[i] = std::move((*this)[i]);
    slots_ = std::move(fresh);
    capacity_ = new_capacity;
    head_ = 0;
  }
  void swap(RingQueue& other) noexcept {
    std::swap(slots_, other.slots_);
    std::swap(capacity_, other.capacity_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
  }

  std::unique_ptr<T[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace funnel::common
