// ReadyWait: the poller's epoll_wait as an Asio reactor operation (ready_wait.hpp).
#include "net/ready_wait.hpp"

#include <cerrno>

namespace funnel::net {

boost::asio::detail::reactor_op::status ReadyWait::attempt(reactor_op* base) {
  auto* self = static_cast<ReadyWait*>(base);
  int n = ::epoll_wait(self->epoll_fd_, self->events_, self->capacity_, 0);
  if (n < 0) n = 0;  // EINTR: nothing taken, the next edge tries again
  self->taken_ = n;
  if (n == 0) return not_done;
  return n < self->capacity_ ? done_and_exhausted : done;
}

void ReadyWait::complete(void* io_owner, boost::asio::detail::scheduler_operation* base,
                         const boost::system::error_code&, std::size_t) {
  auto* self = static_cast<ReadyWait*>(base);
  self->queued_ = false;
  if (self->owner_ == nullptr) {
    delete self;
    return;
  }
  // io_owner is null when Asio destroys queued operations at shutdown: no upcall then.
  if (io_owner != nullptr) self->ready_(self->owner_, self->ec_, self->taken_);
}

}  // namespace funnel::net
