// Replaces the global operator new/delete of the unit_command binary with counting versions, so
// tests can assert that classify() and CommandTable::find() allocate nothing on the hot path.
#include <cstdlib>
#include <new>

#include "request_helpers.hpp"

namespace {
thread_local std::size_t t_allocations = 0;  // per thread: gtest's own threads do not interfere
}  // namespace

std::size_t funnel::command::test::allocations() {
  return t_allocations;
}

void* operator new(std::size_t size) {
  ++t_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return ::operator new(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
