// One pipelined connection to a backend node. Requests from many clients are appended to one
// output stream and written in batches; replies are framed (not parsed) and matched to the
// in-flight FIFO in order. Reconnects with capped exponential backoff; answers timed-out and lost
// requests with errors that say whether the command may have run. Runs on one worker's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "backend/backend_snapshot.hpp"
#include "backend/coalescer.hpp"
#include "backend/handshake.hpp"
#include "backend/link_settings.hpp"
#include "backend/pipeline.hpp"
#include "metrics/worker_metrics.hpp"
#include "net/asio_types.hpp"
#include "net/transport.hpp"
#include "resp/reply_framer.hpp"
#include "resp/writer.hpp"

namespace funnel::backend {

class BackendLink;

// Link life-cycle events for the pool that owns the link. Called on the link's thread.
class LinkObserver {
 public:
  virtual ~LinkObserver() = default;
  virtual void on_link_ready(BackendLink& link, const HandshakeResult& handshake) = 0;
  virtual void on_link_down(BackendLink& link, std::string_view reason) = 0;
  // A request was refused with READONLY: the primary moved. `request` is valid during the call.
  virtual void on_link_readonly(BackendLink& link, std::string_view request,
                                const ReplyTarget& target, common::Millis deadline,
                                std::string_view reply) = 0;
  // A Redis Cluster error (-MOVED, -ASK, -TRYAGAIN, -CLUSTERDOWN: routing/redirect.hpp) answered
  // a plain request (not a script, not a MULTI block): true if the observer took the request
  // elsewhere, false and the client gets the error. `request` is valid during the call.
  virtual bool on_link_redirect(BackendLink& /*link*/, std::string_view /*request*/,
                                const ReplyTarget& /*target*/, common::Millis /*deadline*/,
                                std::string_view /*reply*/) {
    return false;
  }
  // A retiring link has answered everything and closed; the pool may drop it now.
  virtual void on_link_retired(BackendLink& link) = 0;
  // A request marked ReplyTarget::kRetryRead failed on this link (`reason` says how; with
  // node_failed false the node is fine but cannot serve this one, e.g. NOSCRIPT): true if the
  // observer sent it elsewhere; false and the link answers it with the error as usual.
  // `request` is valid during the call. Never called for other requests.
  virtual bool on_link_read_failed(BackendLink& /*link*/, std::string_view /*request*/,
                                   const ReplyTarget& /*target*/, common::Millis /*deadline*/,
                                   std::string_view /*reason*/, bool /*node_failed*/) {
    return false;
  }
};

// Receives what a subscriber link reads that answers no tracked request: pushes (messages,
// confirmations) and replies to untracked commands. Called on the link's thread; `reply` is
// valid only during the call.
class PushSink {
 public:
  virtual ~PushSink() = default;
  virtual void on_push(BackendLink& link, std::string_view reply, resp::ReplyKind kind) = 0;
  // The link lost its backend session (connection lost, or retired because the primary moved):
  // the state it held for its lessee (tracking, MONITOR) is gone. Called on the link's worker
  // thread, possibly inside the link's own failure path: act from a posted handler.
  virtual void on_session_lost(BackendLink& /*link*/) {}
};

class BackendLink : public std::enable_shared_from_this<BackendLink>, public StreamSource {
 public:
  enum class State : std::uint8_t {
    kIdle,
    kConnecting,
    kHandshaking,
    kReady,
    kBackoff,
    kRetiring,
    kClosed
  };

  BackendLink(asio::io_context& io, const LinkSettings& settings, resp::Protocol protocol,
              std::string name, ReplySink& sink, LinkObserver& observer);
  ~BackendLink();
  BackendLink(const BackendLink&) = delete;
  BackendLink& operator=(const BackendLink&) = delete;

  // Starts connecting to the snapshot's endpoints.
  void start(SnapshotPtr snapshot);
  // The snapshot used for the next (re)connect.
  void set_snapshot(SnapshotPtr snapshot) { snapshot_ = std::move(snapshot); }

  // False while the backend is known to be down (in backoff) and once retiring: the caller answers
  // with unavailable_error() instead of submitting.
  bool accepting() const {
    return state_ != State::kBackoff && state_ != State::kRetiring && state_ != State::kClosed;
  }
  std::string unavailable_error() const;
  // Not accepting because a running script refused the handshake (BUSY), and an out-of-band
  // kill has ended a script since (LinkSettings::busy_ended): reconnects now and returns true if
  // the link takes requests again. Cold: callers ask only when accepting() is false.
  bool retry_after_busy();

  // Appends one request (complete multibulk bytes). The reply (or an error standing in for it)
  // goes to sink.deliver(target, ...) exactly once, unless the target is retried via the observer.
  void submit(std::string_view request, const ReplyTarget& target, common::Millis deadline);
  // Called by the WriteBatch this link joined, when the client's read pass ends.
  void write_batched();

  // Subscriber links: pushes, and replies while nothing is tracked, go to `sink` (not owned).
  void set_push_sink(PushSink* sink) { push_sink_ = sink; }
  PushSink* push_sink() const { return push_sink_; }
  // Appends a command whose replies go to the push sink (SUBSCRIBE and its kin). Only while
  // ready: bytes not yet written when the link drops are discarded, since the owner replays
  // its whole state on the next on_link_ready.
  void send_untracked(std::string_view request);

  // Re-authentication (LinkSettings::reauth_after_ms, docs/aws.md): when the link's login is
  // that old, AUTH with the current credentials goes between two requests (a MULTI block is one
  // request), its reply read by the link itself. A refused AUTH stops writing, lets the requests
  // already sent be answered, then reconnects (unsent ones wait for the new connection).
  // tick() does it for links with auto_reauth (the default); a pinned pool turns it off and
  // calls reauth_if_due() for its idle links only, never under a lessee.
  void set_auto_reauth(bool on) { auto_reauth_ = on; }
  void reauth_if_due(common::Millis now);
  // The owner logged the link in again itself (a pinned link's cleaning handshake).
  void note_authenticated(common::Millis now) { authed_at_ = now; }
  std::uint64_t reauths() const { return reauths_; }

  // Coarse periodic work: request timeouts, stalled-link detection, and a client holding the
  // link paused on a streamed reply for too long.
  void tick(common::Millis now);
  // StreamSource: reading paused for the client of a streamed reply may go on.
  void resume_stream() override;
  // Stops taking requests; closes once every in-flight request is answered.
  void retire();
  // Closes now; in-flight requests get errors.
  void shutdown(std::string_view reason);

  State state() const { return state_; }
  std::size_t in_flight() const { return pipeline_.size(); }
  const std::string& name() const { return name_; }
  // For the log line of a link that is up: ", TLS resumed" (its node's last session was resumed:
  // no certificate check, no server signature), ", TLS", or "" for a plain link.
  const char* tls_note() const;
  resp::Protocol protocol() const { return protocol_; }
  std::uint64_t connects() const { return connects_; }
  // Counters of the owning worker (connects, failures, timeouts); may be null.
  void set_metrics(metrics::WorkerMetrics* metrics) { metrics_ = metrics; }
  // A link of a database pool other than 0: its handshake ends with SELECT db. Before start().
  void set_database(std::uint32_t db) { db_ = db; }
  // A Redis Cluster replica's link: READONLY follows the handshake, so the node serves reads of
  // its shard's slots instead of redirecting them to the primary (issue #16).
  void set_readonly(bool readonly) { readonly_ = readonly; }
  std::uint32_t database() const { return db_; }
  // Off for pinned links: a blocked command legitimately goes unanswered for long.
  void set_stall_check(bool on) { stall_check_ = on; }
  // True while this connection runs as backend.user because the backend refused to provision
  // Funnel's backend user: script commands must not be sent on it (the deny list would not
  // hold inside them). Checked by the pools before submitting a script.
  bool scripts_refused() const { return scripts_refused_; }
  // The error a script request gets on such a connection.
  std::string scripts_refused_error() const;
  // The encoded "AUTH <backend user> <password>" this connection logged in with, or empty:
  // what a pinned link's cleaning (RESET logs in as default) must send again.
  const std::string& provisioned_auth() const { return provisioned_auth_; }

 private:
  void connect();
  void on_connected(std::uint64_t generation, boost::system::error_code ec);
  bool register_for_input_only();
  void schedule_flush();
  void flush();
  bool write_pending(std::string_view bytes, std::size_t& written);
  void wait_writable();
  void wait_readable();
  void on_readable();
  void frame_replies();
  void on_reply(std::string_view reply, resp::ReplyKind kind);
  [[gnu::cold, gnu::noinline]] void on_special_reply(InFlight& entry, std::string_view reply,
                                                     resp::ReplyKind kind);
  // submit()'s two halves: the request into the output stream and the FIFO, then on its way.
  // Inlined into both (link_io.cpp).
  void append(std::string_view request, const ReplyTarget& target, common::Millis deadline);
  void dispatch(bool link_idle);
  // Large replies (link_stream.cpp): passes the settled bytes of the partial reply at the head
  // of the pipeline to its client and drops them from in_; ends or aborts the stream.
  [[gnu::cold, gnu::noinline]] void stream_partial();
  bool streamable(const InFlight& entry) const;
  [[gnu::cold, gnu::noinline]] void end_stream(InFlight& entry, std::string_view tail);
  void abort_stream(InFlight& entry);
  void stop_pacing(InFlight& entry);
  void check_stream_stall(common::Millis now);
  void on_handshake_reply(std::string_view reply);
  [[gnu::cold, gnu::noinline]] void reauth_tick(common::Millis now);
  [[gnu::cold, gnu::noinline]] void on_reauth_reply(std::string_view reply, resp::ReplyKind kind);
  bool takes_as_reauth_reply(std::string_view reply, resp::ReplyKind kind) const;
  void refuse_handshake(const std::string& error);
  bool handshake_step_ok(std::string_view reply);
  void finish_provisioning();
  // TLS (link_tls.cpp): the handshake before Redis's own; reads and writes go through
  // transport_, plain or TLS alike.
  bool start_tls();
  void continue_tls_handshake();
  void close_socket();
  void compact_output();
  void fail(std::string_view reason);
  void fail_unsent(std::string_view error);
  // Hands a kRetryRead request to the observer instead of answering it with `error`; true if it
  // was one.
  bool retried_elsewhere(const InFlight& entry, std::string_view reason, bool node_failed = true);
  [[gnu::cold, gnu::noinline]] bool redirected_error(const InFlight& entry, std::string_view reply);
  [[gnu::cold, gnu::noinline]] void note_block_error(std::string_view reply);
  void enter_backoff(std::string_view reason);
  void finish_retired();
  std::string error_reply(std::string_view text) const;
  static ReplyTiming error_timing();
  std::string_view request_bytes(const InFlight& entry) const;
  // Read coalescing (link_coalesce.cpp, coalescer.hpp): true if the offered read joined a
  // leader (it is answered with the leader's reply, and nothing is appended).
  [[gnu::cold, gnu::noinline]] void submit_offered(std::string_view request,
                                                   const ReplyTarget& target,
                                                   common::Millis deadline, const ReadOffer& offer);
  bool join_leader(std::string_view request, const ReplyTarget& target, const ReadOffer& offer);
  // The leader at absolute index `leader` was answered (or failed) with `reply`: so are its
  // followers.
  [[gnu::cold, gnu::noinline]] void answer_followers(std::uint64_t leader, std::string_view reply,
                                                     const ReplyTiming& timing);
  // Followers of leaders just marked abandoned get `reply` (the timeout) too.
  [[gnu::cold, gnu::noinline]] void answer_abandoned_followers(std::string_view reply,
                                                               const ReplyTiming& timing);
  // Where writing stops: the end of out_, or with backend.max_in_flight_per_link the end of the
  // last request the bound lets be unanswered at once (link_io.cpp).
  std::uint64_t write_limit();
  void mark_written();
  // Bytes up to stream position `sent` are written now. When that is the whole output, no read
  // noted before may be joined any more: the table empties. When backend.max_in_flight_per_link
  // held requests back, the unsent ones may still be joined (the rule checks each leader is
  // unsent), which is where coalescing pays: the reads waiting in Funnel under a spike.
  void coalesce_batch_written(std::uint64_t sent) {
    if (coalescer_ != nullptr && sent != sent_ && sent == out_base_ + out_.size()) [[unlikely]]
      coalescer_->batch_written();
  }
  const std::string& address() const;

  asio::io_context& io_;
  const LinkSettings& settings_;
  resp::Protocol protocol_;
  std::string name_;
  ReplySink& sink_;
  LinkObserver& observer_;
  metrics::WorkerMetrics* metrics_ = nullptr;
  PushSink* push_sink_ = nullptr;
  SnapshotPtr snapshot_;

  TcpSocket socket_;          // connects, and is what Asio waits on; owns the descriptor
  net::Transport transport_;  // reads and writes that descriptor (plain or TLS)
  SteadyTimer timer_;
  State state_ = State::kIdle;
  std::uint64_t generation_ = 0;  // bumps per connection attempt; stale handlers compare it
  std::string down_reason_;
  unsigned consecutive_failures_ = 0;
  bool up_ = false;  // handshake done and not failed since: counted as a ready link
  std::uint64_t connects_ = 0;

  // Output stream: [acked | sent, awaiting reply | unsent]. Offsets are absolute stream positions.
  std::string out_;
  std::uint64_t out_base_ = 0;  // stream position of out_[0]
  std::uint64_t sent_ = 0;      // first byte not yet written
  std::string handshake_;
  std::size_t handshake_sent_ = 0;
  unsigned handshake_replies_ = 0;  // handshake replies read on this connection
  HandshakeResult handshake_result_;
  std::uint32_t db_ = 0;
  bool readonly_ = false;
  std::optional<Provisioning> provisioning_;  // this connection's, when the handshake provisions
  std::string setuser_error_;                 // ACL SETUSER's refusal on this connection
  std::string provisioned_auth_;
  bool scripts_refused_ = false;
  bool busy_ = false;            // the last handshake met a running script (BUSY)
  std::uint64_t busy_seen_ = 0;  // LinkSettings::busy_ended when it did

  std::string in_;
  std::size_t in_start_ = 0;  // first unframed byte
  std::size_t in_len_ = 0;    // bytes read into in_
  resp::ReplyFramer framer_;
  Pipeline pipeline_;
  // Cluster mode: the first -MOVED or -ASK among a MULTI block's inner replies (a command queued
  // on a node that no longer serves its key), and the block's entry (its `begin`); if EXEC then
  // answers EXECABORT, nothing ran and the block may go to the slot's owner (redirected_error).
  std::string block_moved_;
  std::uint64_t block_moved_begin_ = 0;
  std::int64_t read_ns_ = 0;  // when the current batch of replies was read
  // Streaming (link_stream.cpp): reading paused because the streamed reply's client has enough
  // unsent; only ever while no other client's request waits behind that reply.
  bool read_paused_ = false;
  common::Millis stream_progress_ = 0;  // when the last part of the streamed reply was read

  std::unique_ptr<LinkCoalescer> coalescer_;  // made on the first offered read (coalescer.hpp)

  bool flush_posted_ = false;
  bool in_write_batch_ = false;  // queued in the open WriteBatch; it writes at the pass's end
  bool write_waiting_ = false;
  bool read_waiting_ = false;
  bool stall_check_ = true;
  // Re-authentication (link_reauth.cpp).
  common::Millis authed_at_ = 0;  // when this connection last logged in
  std::uint64_t reauths_ = 0;     // re-AUTHs the backend accepted
  bool auto_reauth_ = true;
  bool reauth_pending_ = false;  // an AUTH of ours awaits its reply
  bool hold_writes_ = false;     // our AUTH was refused: answer what was sent, then reconnect
};

}  // namespace funnel::backend
