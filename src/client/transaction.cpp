// TransactionQueue: the bytes of a Funnel-held MULTI (see transaction.hpp).
#include "client/transaction.hpp"

#include <algorithm>

namespace funnel::client {

TransactionQueue::TransactionQueue() {
  block_.assign(kMultiBytes);
}

TransactionQueue::AddStatus TransactionQueue::add(std::string_view request, std::size_t max_bytes,
                                                  std::size_t max_commands) {
  if (queued_bytes() + request.size() > max_bytes ||
      commands_ + 1 > std::min(max_commands, kMaxCommands)) {
    aborted_ = true;
    return AddStatus::kTooLarge;
  }
  block_.append(request);
  ++commands_;
  return AddStatus::kQueued;
}

std::string_view TransactionQueue::finish_block() {
  block_.append(kExecBytes);
  return block_;
}

}  // namespace funnel::client
