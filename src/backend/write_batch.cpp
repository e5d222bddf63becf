#include "backend/write_batch.hpp"

#include "backend/backend_link.hpp"

namespace funnel::backend {

bool WriteBatch::add(std::shared_ptr<BackendLink> link) {
  if (count_ == kSlots) return false;
  links_[count_++] = std::move(link);
  return true;
}

WriteBatch::~WriteBatch() {
  current_ = outer_;
  for (std::size_t i = 0; i < count_; ++i) links_[i]->write_batched();
}

}  // namespace funnel::backend
