// ClientSession's transport seam and its readiness waits. A plain client is read and written with
// one recv / send call. A TLS client goes through OpenSSL on the same non-blocking socket: the
// handshake runs inside the first reads, and WANT_READ / WANT_WRITE become the readiness wait the
// session already knows how to do. Readiness comes from the worker's ClientPoller
// (client_poller.hpp): edge-triggered, so a read or write that finds the socket drained (or full)
// is what ends an edge. Also where a client's close is noticed and acted on.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/post.hpp>

#include "client/client_poller.hpp"
#include "client/client_session.hpp"
#include "client/pin_lease.hpp"

namespace funnel::client {
namespace {

// Sets ec for a TLS want (would_block for the waits, eof / reset for the ends) and reports
// whether the wait is for the opposite direction.
void map_want(tls::Want want, boost::system::error_code& ec, bool& opposite, bool writing) {
  switch (want) {
    case tls::Want::kNone:
      ec = {};
      return;
    case tls::Want::kRead:
      ec = asio::error::would_block;
      opposite = writing;
      return;
    case tls::Want::kWrite:
      ec = asio::error::would_block;
      opposite = !writing;
      return;
    case tls::Want::kClosed:
      ec = asio::error::eof;
      return;
    case tls::Want::kError:
      ec = asio::error::connection_reset;
      return;
  }
}

}  // namespace

namespace {
boost::system::error_code errno_code(int error) {
  if (error == EAGAIN || error == EWOULDBLOCK) return asio::error::would_block;
  if (error == EINTR) return asio::error::try_again;
  return {error, boost::system::system_category()};
}
}  // namespace

std::size_t ClientSession::read_transport(char* data, std::size_t size,
                                          boost::system::error_code& ec) {
  if (tls_ == nullptr) {
    const ssize_t n = ::recv(fd_, data, size, 0);
    if (n > 0) {
      ec = {};
      // A short read drained the socket: the next bytes bring a new edge. Not so after the
      // client's FIN, whose edge came with these bytes: the EOF is still to be read.
      if (static_cast<std::size_t>(n) < size && !peer_closed_) input_ready_ = false;
      return static_cast<std::size_t>(n);
    }
    ec = n == 0 ? asio::error::eof : errno_code(errno);
    if (ec == asio::error::would_block) input_ready_ = false;
    return 0;
  }
  tls_read_wants_write_ = false;
  if (tls_handshaking_) {
    const tls::Want want = tls::handshake(tls_);
    if (want != tls::Want::kNone) {
      if (want == tls::Want::kError || want == tls::Want::kClosed) {
        ctx_.metrics->tls_handshake_failures.add();
      }
      note_tls_want(want);
      map_want(want, ec, tls_read_wants_write_, false);
      return 0;
    }
    tls_handshaking_ = false;
  }
  const tls::IoResult result = tls::read(tls_, data, size);
  if (result.bytes > 0) {
    ec = {};
    return result.bytes;
  }
  note_tls_want(result.want);
  map_want(result.want, ec, tls_read_wants_write_, false);
  return 0;
}

std::size_t ClientSession::write_transport(const char* data, std::size_t size,
                                           boost::system::error_code& ec) {
  if (tls_ == nullptr) {
    const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (n >= 0) {
      ec = {};
      if (static_cast<std::size_t>(n) < size) output_ready_ = false;  // the socket is full
      return static_cast<std::size_t>(n);
    }
    ec = errno_code(errno);
    if (ec == asio::error::would_block) output_ready_ = false;
    return 0;
  }
  tls_write_wants_read_ = false;
  if (tls_handshaking_) {  // replies before the handshake finished: none can exist; be safe
    ec = asio::error::would_block;
    return 0;
  }
  const tls::IoResult result = tls::write(tls_, data, size);
  note_tls_want(result.want);
  map_want(result.want, ec, tls_write_wants_read_, true);
  return result.bytes;
}

// OpenSSL asks to wait only after its own read or write on the socket found it drained or full.
void ClientSession::note_tls_want(tls::Want want) {
  if (want == tls::Want::kRead && !peer_closed_) input_ready_ = false;
  if (want == tls::Want::kWrite) output_ready_ = false;
}

// OpenSSL may already hold decrypted bytes (a read filled our buffer mid-record): the socket will
// not signal them, so read again from the event loop instead of waiting.
void ClientSession::wait_tls_readable() {
  if (!tls_handshaking_ && tls::has_pending(tls_)) {
    read_waiting_ = true;
    post_step([this] {
      read_waiting_ = false;
      if (!closed_) on_readable();
    });
    return;
  }
  wait_read_slot(ReadThen::kRead, tls_read_wants_write_);
}

void ClientSession::wait_read_slot(ReadThen then, bool on_output) {
  read_waiting_ = true;
  read_then_ = then;
  read_on_output_ = on_output;
  if (on_output) watch_output(true);
  if (ready_for(on_output)) post_ready_slots();
}

void ClientSession::wait_write_slot(bool on_input) {
  write_waiting_ = true;
  write_on_input_ = on_input;
  if (!on_input) watch_output(true);
  if (ready_for(!on_input)) post_ready_slots();
}

// A peer's close is acted on at once in every state. A reset (EPOLLERR, EPOLLHUP: Funnel never
// shuts its own side down, so both directions are gone) leaves nobody to answer. A half-close
// (EPOLLRDHUP) is remembered: the short read that drains the bytes before it no longer ends the
// edge, so the read that finds the EOF follows (on_peer_eof); while reading is paused, the
// session is closed now or when the pause ends (closes_on_half_close).
void ClientSession::on_poll_events(std::uint32_t events) {
  if (closed_) return;  // closed earlier in this batch of events; deleted after it
  if (events & (EPOLLHUP | EPOLLERR)) return close();
  if (events & EPOLLRDHUP) peer_closed_ = true;
  if (events & (EPOLLIN | EPOLLRDHUP)) input_ready_ = true;
  if (events & EPOLLOUT) output_ready_ = true;
  if (peer_closed_ && !stop_reading_ && closes_on_half_close()) return close();
  run_ready_slots();
}

// A client that has closed its end while reading is paused is closed at once, as Redis frees a
// client when read() returns 0 (dropping what it had not processed or written), when the pause
// could last: its replies are unread (it may never read them), an AUTH delay, a blocked pinned
// command or a subscribe confirmation. Paused at the pipeline limit or a lane barrier, replies
// are on their way: reading resumes after them, answers what came before the EOF and then closes
// (so `(printf 'SET a 1\r\n'; ...) | nc -N` gets every reply, as from Redis).
bool ClientSession::closes_on_half_close() const {
  if (auth_delayed_ || subscribe_barrier() || subscribed()) return true;
  if (!reading_paused_) return false;
  if (out_.size() - out_sent_ > ctx_.config.limits.client_output_soft_bytes) return true;
  return pin_ != nullptr && (pin_->waiting() || pin_->reason() == PinReason::kBlocking);
}

// The client will send nothing more. As Redis does, what it sent and Funnel parsed is answered and
// then the connection is closed (`printf 'SET a 1\r\nGET a\r\n' | nc -N` gets both replies); a
// partial request is dropped. Closed at once when no reply is pending, or none can be useful:
// blocked on a pinned link (the command may never return) or subscribed.
void ClientSession::on_peer_eof() {
  peer_closed_ = true;
  stop_reading_ = true;
  drop_unparsed();
  const bool blocked =
      pin_ != nullptr && (pin_->waiting() || pin_->reason() == PinReason::kBlocking);
  if (blocked || subscribed() || (replies_.idle() && out_.empty())) return close();
  const std::uint64_t opened = replies_.head() + replies_.pending();  // slots ever opened
  if (opened > 0) close_after_seq_ = std::min(close_after_seq_, opened - 1);
  schedule_flush();  // after_flush closes once the last reply is out
}

// Runs each slot whose readiness is there: the write slot first, as Asio did.
void ClientSession::run_ready_slots() {
  if (write_waiting_ && ready_for(!write_on_input_)) {
    write_waiting_ = false;
    flush();
    if (closed_) return;
  }
  if (read_waiting_ && ready_for(read_on_output_)) {
    read_waiting_ = false;
    if (read_then_ == ReadThen::kHangupCheck) {
      on_hangup_check();
    } else {
      on_readable();
    }
  }
}

void ClientSession::post_ready_slots() {
  if (ready_posted_) return;
  ready_posted_ = true;
  post_step([this] {
    ready_posted_ = false;
    if (!closed_) run_ready_slots();
  });
}

// Output interest only while a wait needs it: with it, every ACK from the client is an edge that
// wakes the worker.
void ClientSession::watch_output(bool on) {
  if (output_watched_ == on || closed_) return;
  if (ctx_.poller->watch_output(fd_, this, on)) output_watched_ = on;
}

std::optional<asio::ip::tcp::endpoint> ClientSession::endpoint(bool peer) const {
  asio::ip::tcp::endpoint endpoint;
  auto length = static_cast<socklen_t>(endpoint.capacity());
  const int rc = peer ? ::getpeername(fd_, endpoint.data(), &length)
                      : ::getsockname(fd_, endpoint.data(), &length);
  if (fd_ < 0 || rc != 0) return std::nullopt;
  endpoint.resize(length);
  return endpoint;
}

}  // namespace funnel::client
