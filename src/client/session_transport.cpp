// ClientSession's transport seam and its readiness waits. Bytes go through net::Transport, plain
// or TLS alike (a TLS handshake runs inside the first reads). Readiness comes from the worker's
// net::Poller: edge-triggered, so a read or write that finds the socket drained (or full) is what
// ends an edge; the transport says when one did, and which direction TLS needs next. Also where a
// client's close is noticed and acted on.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>

#include <boost/asio/post.hpp>

#include "client/client_session.hpp"
#include "client/pin_lease.hpp"
#include "net/poller.hpp"

namespace funnel::client {

net::IoResult ClientSession::read_transport(char* data, std::size_t size) {
  const net::IoResult result = transport_.read_some(data, size);
  tls_read_wants_write_ = result.status == net::Io::kWantWrite;
  if (result.status != net::Io::kMore) note_want(result);
  return result;
}

net::IoResult ClientSession::write_transport(const char* data, std::size_t size) {
  const net::IoResult result = transport_.write_some(data, size);
  tls_write_wants_read_ = result.status == net::Io::kWantRead;
  if (result.status != net::Io::kMore) note_want(result);
  return result;
}

// Keeps the poller's edges honest: a read that drained the socket (or a write that filled it)
// spent its edge, and the next wait is for a new one. Not so for a short read after the client's
// FIN, whose edge came with these bytes: the EOF is still to be read. A TLS handshake that fails
// is counted here, where the first reads run it.
void ClientSession::note_want(const net::IoResult& result) {
  switch (result.status) {
    case net::Io::kWantRead:
      if (result.bytes == 0 || !peer_closed_) input_ready_ = false;
      return;
    case net::Io::kWantWrite:
      output_ready_ = false;
      return;
    case net::Io::kEof:
    case net::Io::kError:
      if (transport_.handshaking()) ctx_.metrics->tls_handshake_failures.add();
      return;
    case net::Io::kMore:
      return;
  }
}

// OpenSSL may already hold decrypted bytes (a read filled our buffer mid-record): the socket will
// not signal them, so read again from the event loop instead of waiting.
void ClientSession::wait_tls_readable() {
  if (transport_.has_pending()) {
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
  if (io_->out.size() - io_->out_sent > ctx_.config.limits.client_output_soft_bytes) return true;
  return rare_->pin != nullptr &&
         (rare_->pin->waiting() || rare_->pin->reason() == PinReason::kBlocking);
}

// The client will send nothing more. As Redis does, what it sent and Funnel parsed is answered and
// then the connection is closed (`printf 'SET a 1\r\nGET a\r\n' | nc -N` gets both replies); a
// partial request is dropped. Closed at once when no reply is pending, or none can be useful:
// blocked on a pinned link (the command may never return) or subscribed.
void ClientSession::on_peer_eof() {
  peer_closed_ = true;
  stop_reading_ = true;
  drop_unparsed();
  const bool blocked = rare_->pin != nullptr &&
                       (rare_->pin->waiting() || rare_->pin->reason() == PinReason::kBlocking);
  if (blocked || subscribed() || (replies_.idle() && io_->out.empty())) return close();
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
  if (ctx_.poller->watch_output(transport_.fd(), this, on)) output_watched_ = on;
}

std::optional<asio::ip::tcp::endpoint> ClientSession::endpoint(bool peer) const {
  asio::ip::tcp::endpoint endpoint;
  auto length = static_cast<socklen_t>(endpoint.capacity());
  const int fd = transport_.fd();
  const int rc = peer ? ::getpeername(fd, endpoint.data(), &length)
                      : ::getsockname(fd, endpoint.data(), &length);
  if (fd < 0 || rc != 0) return std::nullopt;
  endpoint.resize(length);
  return endpoint;
}

}  // namespace funnel::client
