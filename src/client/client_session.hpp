// One client connection: reads bytes, parses every complete request, answers locally or hands it
// to a backend link, and writes replies back in request order with one write per batch. A small
// object driven by readiness callbacks (no coroutine frame, no buffer while idle) so that ten
// thousand idle clients cost little. Lives on one worker thread for its whole life.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/post.hpp>

#include "client/reply_queue.hpp"
#include "client/session_context.hpp"
#include "client/session_io.hpp"
#include "client/session_rare.hpp"
#include "client/subscriptions.hpp"
#include "net/asio_types.hpp"
#include "net/poll_target.hpp"
#include "net/transport.hpp"
#include "plan/plan.hpp"
#include "plan/session_state.hpp"

namespace funnel::client {

class TransactionQueue;
struct CountedReplies;
class PinLease;
struct ReadState;
class SlotFanOuts;
using plan::PinReason;

struct PendingHello {  // what HELLO does once its AUTH succeeds
  resp::Protocol protocol;
  bool has_name = false;
  std::string name;
};
// A user kept in the backend (SessionRare::backend_login): the rules the session's
// state_.user points into, and a HELLO whose AUTH the backend is checking.
struct BackendLogin {
  std::shared_ptr<const security::User> user;
  std::unique_ptr<PendingHello> hello;
};

// One locally answered request, as a handler of the local-command table (local_table.cpp) gets
// it: the reply goes to `out`, unless the handler answers in its own time (`answered`).
struct LocalCall {
  const resp::Request& request;
  std::uint64_t seq;
  std::string& out;
  plan::ClientSub sub;
  bool answered = false;
};

class ClientSession final : public net::PollTarget {
  friend class PinLease;  // resumes the session when a lease is granted or refused

 public:
  // Takes ownership of a connected, non-blocking socket whose place in clients_connected the
  // caller has already counted (close() gives it back). Registers itself; deletes itself after
  // close(). With `tls` (a server-side session on the socket, owned from here on) it speaks TLS.
  static ClientSession* start(SessionContext& context, int fd, std::uint64_t client_id,
                              SSL* tls = nullptr);
  // Readiness edges for this client's socket, from the worker's net::Poller.
  void on_poll_events(std::uint32_t events) override;
  // The end of the poller's batch in which it closed (or of the posted step after a close from
  // elsewhere): deletes it unless a wait is still pending.
  void on_batch_end() override;
  // Its blocking command waited for its turn (SessionContext::turn_waiters): try it again.
  void retry_turn() { resume_held(); }
  // The CLIENT PAUSE that held its request ended (SessionContext::pause_waiters): try it again.
  void end_pause_hold();
  // Held while the primary fails over (SessionContext::failover_waiters): at `now`, go on if
  // the failover is over, fail the request past its hold deadline, else keep waiting. Returns
  // true while it still waits (session_failover.cpp).
  bool check_failover_hold(bool failover_over, common::Millis now);
  // Held while its cluster shard's primary is down (SessionContext::shard_waiters): at `now`,
  // planned again (held again while the shard's primary in this worker's layout is held), or
  // failed past its hold deadline (session_shard_hold.cpp).
  void check_shard_hold(common::Millis now);

  // A reply (or an error standing in for one) for request `seq`. Runs on this worker's thread.
  void deliver(const backend::ReplyTarget& target, std::string_view reply,
               const backend::ReplyTiming& timing);
  // A part of a large reply streamed from its link (session_stream.cpp; the contract is
  // backend::ReplySink::deliver_part). Runs on this worker's thread.
  backend::PartVerdict deliver_part(const backend::ReplyTarget& target, std::string_view part,
                                    backend::PartKind kind, const backend::ReplyTiming& timing,
                                    const std::weak_ptr<backend::StreamSource>& source);
  // Closes the connection (idempotent); pending replies are dropped.
  void close(metrics::CloseReason reason = metrics::CloseReason::kClient);
  // Stops reading; closes once every pending reply has been written (shutdown drain).
  void begin_drain();

  // Pub/sub (session_pubsub.cpp). A message or confirmation from the hub; false when the session
  // must be closed (over its pubsub output limit), which the caller does after its loop.
  bool push(std::string_view push_bytes);
  // The node ended a subscription (cluster: a shard channel's slot moved): gone here too, and the
  // client gets Redis's push for it (sunsubscribe). False as push().
  bool unsubscribed_by_node(PubsubKind kind, std::string_view name);
  // One of the names its pending (P|S)SUBSCRIBE awaits is confirmed on the backend.
  void subscription_confirmed();
  // A (P|S)SUBSCRIBE unconfirmed for longer than `limit` (the backend is down) is undone and
  // answered with an error, so the client never hangs. Worker thread, from its periodic tick.
  void expire_pending_subscribe(common::Millis now, common::Millis limit);

  bool idle_for(common::Millis now, common::Millis limit) const;
  // A configuration reload replaced the users (session_auth.cpp): an authenticated session takes
  // its user's new rules from its next command, as Redis's ACL SETUSER does; false when its user
  // is gone (the caller closes it, as ACL DELUSER does). Worker thread, between batches.
  bool rebind_user(const security::UserDirectory& users);
  // A user kept in the backend changed its rules or is gone (security::BackendUserCache): acts
  // as its current rules from its next command; false when it is gone (the caller closes it).
  bool rebind_backend_user(security::BackendUserCache& cache);
  // The backend's answer to this session's pending AUTH or HELLO AUTH (request `seq`).
  void finish_backend_login(std::uint64_t seq, bool silent,
                            const security::BackendAuthResult& result);
  bool has_pending_replies() const { return !replies_.idle(); }
  // The shared-link layout of this client's requests in flight, or -1 (Worker::resize_pools).
  int layout_in_flight() const { return state_.layout_in_flight(); }
  // For the takeover's spread close (server/idle_drain.cpp): nothing read, pending or being
  // written, so closing now loses no request; and whether the connection holds state a reconnect
  // would lose (a MULTI, a pinned link for WATCH or a blocking command, subscriptions, a hold).
  bool between_requests() const {
    return replies_.idle() && io_->out.empty() && io_->in.empty() && !input_ready_;
  }
  bool holds_state() const {
    return state_.mode != plan::Mode::kNormal || rare_->pin != nullptr || subscribed() ||
           pause_held_ || lane_hold_ || auth_delayed_ || rare_->tx != nullptr;
  }
  std::uint64_t id() const { return id_; }

  resp::Protocol protocol() const { return state_.protocol; }
  std::string peer_address() const;
  std::string local_address() const;
  common::Millis connected_at() const { return connected_at_; }
  common::Millis last_activity() const { return last_activity_; }

 private:
  ClientSession(SessionContext& context, int fd, std::uint64_t client_id, SSL* tls);
  ~ClientSession();

  void wait_readable();
  // Runs `step` from the worker's event loop, never inside the caller. The session stays alive
  // until it has run (pending_ops_) and is deleted after it if it closed meanwhile.
  template <class Step>
  void post_step(Step step) {
    ++pending_ops_;
    asio::post(ctx_.io, [this, step] {
      step();
      --pending_ops_;
      maybe_destroy();
    });
  }
  // Readiness waits on the worker's net::Poller (net/poller.hpp), one per use of the socket:
  // the read slot (read_waiting_: on_readable, or on_hangup_check while reading is paused) and
  // the write slot (write_waiting_: flush). A slot waits for input or for output (TLS may need
  // the other direction). The poller's edges are kept in input_ready_ / output_ready_ until a
  // read or write finds the socket drained or full; a wait that finds its edge already there
  // runs from a posted handler, never inside its caller.
  enum class ReadThen : std::uint8_t { kRead, kHangupCheck };
  void wait_read_slot(ReadThen then, bool on_output);
  void wait_write_slot(bool on_input);
  bool ready_for(bool output) const { return output ? output_ready_ : input_ready_; }
  void run_ready_slots();
  void post_ready_slots();
  void watch_output(bool on);
  std::optional<asio::ip::tcp::endpoint> endpoint(bool peer) const;
  void on_readable();
  // The transport seam (session_transport.cpp): reads and writes through transport_ (plain or
  // TLS alike), keeping the edges they consumed and the direction TLS needs next.
  net::IoResult read_transport(char* data, std::size_t size);
  net::IoResult write_transport(const char* data, std::size_t size);
  void wait_tls_readable();
  void note_want(const net::IoResult& result);
  std::size_t process_requests(std::string_view data);
  // Plans the request (plan/planner.hpp) and carries the plan out (session_plan.cpp).
  bool handle_request(const resp::Request& request);
  void carry_out(const plan::Plan& plan, const resp::Request& request);
  void forward_planned(const plan::Plan& plan, const resp::Request& request, std::uint64_t seq);
  void answer_refusal(const plan::Plan& plan, std::uint64_t seq);
  void note_queued_slot(std::uint16_t slot);
  // Opens the request's reply slot; CLIENT REPLY OFF/SKIP decide whether its reply is dropped.
  std::uint64_t open_slot() {
    const plan::ReplyTurn turn = plan::reply_turn(state_.reply_mode);
    silent_ = turn.silenced;
    state_.reply_mode = turn.next;
    return replies_.open_slot();
  }
  void handle_local(const resp::Request& request, std::uint64_t seq, const plan::Plan& plan);
  void forward(std::string_view bytes, std::uint64_t seq, std::uint16_t extra_replies,
               std::uint8_t flags, common::Millis deadline);
  [[gnu::cold]] void deliver_edited(const backend::ReplyTarget& target, std::string_view reply);
  backend::ReplyTarget reply_target(std::uint64_t seq, std::uint16_t extra_replies,
                                    std::uint8_t flags);
  // Read coalescing (session_coalesce.cpp): submits on `pool` with an offer if the rule's
  // session side holds (routing::offer_verdict); false and nothing sent otherwise.
  [[gnu::cold, gnu::noinline]] bool submit_offered(backend::BackendPool& pool,
                                                   std::string_view bytes,
                                                   const backend::ReplyTarget& target,
                                                   common::Millis deadline);
  routing::Earlier earlier_for_coalescing() const;
  // The near cache (session_near_cache.cpp): true if the request was answered from the cache;
  // otherwise it may have become a fill, or marked its cached keys as being written.
  [[gnu::cold, gnu::noinline]] bool near_cache_before(const resp::Request& request,
                                                      std::uint64_t seq, std::uint8_t flags,
                                                      bool read_route);
  [[gnu::cold, gnu::noinline]] bool near_cache_reply(std::uint64_t seq, std::string_view reply,
                                                     bool whole);
  routing::CacheReadFacts cache_facts(std::uint8_t flags, bool read_route) const;
  void near_cache_write(routing::WriteScope scope, const resp::Request& request, std::uint64_t seq);
  [[gnu::cold]] void near_cache_write_all(std::uint64_t seq);
  void near_cache_closed();
  void open_fill(const resp::Request& request, std::uint64_t seq, std::uint8_t protocol);
  // Fills and their TTL probes, MGET of several keys (session_near_cache_fill.cpp).
  NearCacheSession& start_fill(std::uint64_t seq, std::uint8_t protocol, bool elements);
  void send_probe(const NearCacheSession& s, std::string_view key, std::uint32_t index);
  void probe_answered(NearCacheSession& s, std::uint64_t seq, std::string_view reply);
  bool probes_pending(const NearCacheSession& s) const;
  void fill_answered(NearCacheSession& s, std::string_view reply, bool whole);
  void finish_fill(NearCacheSession& s, std::string_view reply);
  bool near_cache_mget(const resp::Request& request, std::uint64_t seq, routing::CacheReadFacts r);
  void open_element_fill(const resp::Request& request, std::uint64_t seq, std::uint8_t protocol);
  void release_writes(NearCacheSession& s, std::uint64_t seq);
  void note_near_cache_size();
  NearCacheSession& near_session();

  // Reads on replicas and read-your-writes (session_reads.cpp).
  // Cluster mode (session_cluster.cpp): a read per the read policy over its shard's nodes, and
  // a pinned link refused for keys outside the main shard (returns true once answered).
  void forward_cluster_read(const resp::Request& request, std::uint64_t seq, std::uint8_t flags,
                            common::Millis deadline);
  void forward_read(const resp::Request& request, std::uint64_t seq, std::uint8_t flags,
                    common::Millis deadline);
  std::int64_t offset_needed_by_reads(ReadState& state, bool& primary_only) const;
  void copy_to_replicas(const resp::Request& request, common::Millis deadline);
  // Cross-slot split and merge in cluster mode (session_fan_out.cpp).
  void fan_out_by_slot(const plan::Plan& plan, const resp::Request& request, std::uint64_t seq);
  void deliver_fan_out_part(const backend::ReplyTarget& target, std::string_view reply);
  // Keyless fan-out in cluster mode: DBSIZE, KEYS, SCAN, SCRIPT ... (session_keyless.cpp).
  void fan_out_keyless(const plan::Plan& plan, const resp::Request& request, std::uint64_t seq);
  bool scan_one_shard(const resp::Request& request, std::uint64_t seq, common::Millis deadline);
  void send_keyless_parts(const std::vector<backend::BackendPool*>& pools, std::string_view bytes,
                          std::uint64_t seq, common::Millis deadline);
  void count_write(backend::ReplyTarget& target);
  [[gnu::cold]] void write_answered(std::int64_t now_ns);
  ReadState& read_state();

  // The lane barrier (session_lanes.cpp).
  bool hold_at_lane_barrier();
  void on_hangup_check();
  void on_backend_answered();

  // CLIENT PAUSE (session_pause.cpp).
  bool hold_for_pause();
  // The request a FUNNEL PAUSE held until its timeout: answered with an error, never sent.
  bool fail_after_pause();
  void record_pause(const resp::Request& request, plan::ClientSub sub);

  // The primary failing over (session_failover.cpp, routing/failover_hold.hpp).
  bool hold_for_failover();
  // A request held past its hold deadline: answered with an error, never sent.
  bool fail_after_failover();
  void end_failover_hold(bool expired);

  // A cluster shard's primary down (session_shard_hold.cpp, routing/shard_hold.hpp).
  bool shard_held(const command::Classification& cls, const resp::Request& request) const;
  std::uint16_t scan_shard(const resp::Request& request) const;
  bool hold_for_shard();
  bool fail_after_shard_hold();

  // Pinned links (session_pin.cpp).
  void tracking_push(std::string_view push_bytes);
  void backend_state_lost();  // the tracking or MONITOR link lost its backend: closes the client
  // A line from the MONITOR link (session_monitor.cpp).
  void monitor_line(std::string_view line);
  void apply_pin_effects(const plan::Plan& plan);
  bool carry_out_blocking(const plan::Plan& plan, const resp::Request& request);
  // A blocking command goes to its link in arrival order (blocking_order.hpp), once the link is
  // settled: false (and the session waits in ctx_.turn_waiters) until then.
  bool blocking_turn();
  void end_blocking_turn();
  common::Millis blocking_deadline(const resp::Request& request) const;
  void begin_pin(PinReason reason);
  bool count_pin(const security::User& user);
  void end_pin();
  void resume_held();
  // The pinned link of a WATCH or a blocking command can carry no more (Redis restarted, or a
  // failover retired the link to the old primary): drop_lost_pin gives it up (session_pin.cpp).
  bool pin_lost() const;
  void drop_lost_pin();

  // Transactions (session_transaction.cpp).
  void begin_transaction(std::uint64_t seq);
  void open_transaction();  // begin_transaction without its +OK (a lost pinned MULTI goes on)
  void queue_in_transaction(const resp::Request& request, std::uint64_t seq);
  void exec_transaction(std::uint64_t seq);
  void end_transaction();
  // Queues the reply in order; flush=false leaves scheduling the write to the caller.
  void answer(std::uint64_t seq, std::string_view reply, bool flush = true);
  void answer_error(std::uint64_t seq, std::string_view message);
  void answer_local(std::uint64_t seq, std::string_view reply);
  void log_if_slow(std::int64_t total_ns, std::string_view request);
  void record(std::uint16_t command_id, metrics::CommandClass command_class, std::string_view reply,
              std::int64_t total_ns, std::int64_t backend_ns, std::string_view request = {});
  void protocol_error(std::string_view message);
  void keep_unparsed(std::string_view data, std::size_t consumed, bool from_scratch);
  void suspend_partial(resp::RequestParser& parser);
  void drop_unparsed();
  void on_peer_eof();
  bool closes_on_half_close() const;
  void schedule_flush();
  void flush_after_read();
  bool write_last_reply_now();
  void flush();
  void flushed();
  void wait_writable();
  void after_flush();
  void maybe_resume_reading();
  void release_buffers_if_idle();
  // Buffer accounting against limits.buffer_budget_bytes (session_output.cpp). Every byte this
  // session adds to the process counter goes through account_buffer and is remembered in
  // buffer_held_, so close() gives back exactly what was counted.
  void track_buffer(std::size_t before_capacity, const std::string& buffer);
  void track_bytes(std::size_t before, std::size_t after);
  void account_buffer(std::int64_t delta);
  void release_buffers_on_close();
  // Streamed replies (session_stream.cpp).
  void stream_cut();
  void keep_paused_stream(const std::weak_ptr<backend::StreamSource>& source);
  void resume_streams();
  bool closed_by_output_limits(std::size_t unsent);
  std::size_t unsent_bytes() const {
    return io_->out.size() - io_->out_sent + replies_.stashed_bytes();
  }
  void maybe_destroy();
  // The session's own block of rarely used state (session_rare.hpp), made on first use. Only
  // the shared empty block is const: a block of its own is the session's to write.
  SessionRare& rare() {
    if (rare_ == &kNoSessionRare) [[unlikely]]
      make_rare();
    return const_cast<SessionRare&>(*rare_);
  }
  [[gnu::cold, gnu::noinline]] void make_rare();
  // The session's own I/O block (session_io.hpp), taken from the worker's pool on first use;
  // only reads go through io_ (the shared block is never written).
  SessionIo& io() {
    if (io_ == &kNoSessionIo) [[unlikely]]
      io_ = ctx_.io_blocks.take();
    return const_cast<SessionIo&>(*io_);
  }
  // Gives the block back once it holds nothing (both buffers back in the BufferPool).
  void release_io_if_unused() {
    if (io_ != &kNoSessionIo && io_->unused()) give_back_io();
  }
  void give_back_io() {
    ctx_.io_blocks.give(const_cast<SessionIo*>(io_));
    io_ = &kNoSessionIo;
  }
  // Gives the block back once nothing in it is in use (from release_buffers_if_idle: no
  // caller up the stack holds a reference into it there).
  void release_rare_if_unused() {
    if (rare_ != &kNoSessionRare && rare_->unused()) [[unlikely]]
      release_rare();
  }
  [[gnu::cold, gnu::noinline]] void release_rare();

  // Pub/sub commands and state (session_pubsub.cpp).
  void pubsub_subscribe(PubsubKind kind, const resp::Request& request, std::uint64_t seq);
  void pubsub_unsubscribe(PubsubKind kind, const resp::Request& request, std::uint64_t seq);
  void answer_pubsub(std::uint64_t seq, std::string_view confirmations);
  std::uint8_t count_pubsub_reply(const resp::Request& request, std::uint64_t seq);
  bool answer_corrected_count(std::uint64_t seq, std::string_view reply);
  bool subscribed() const { return rare_->subs != nullptr && rare_->subs->total() > 0; }
  bool subscribe_barrier() const { return rare_->subs != nullptr && rare_->subs->pending.active; }
  void note_subscriptions() { state_.subscribed = subscribed(); }
  void after_pubsub_answer();
  void resume_after_subscribe();
  bool pubsub_output_ok();
  void leave_all_subscriptions();
  void leave(PubsubKind kind, std::string_view name);

  // Local commands: the handler table (local_table.cpp), one handler per LocalCommand and per
  // CLIENT subcommand (local_commands.cpp, client_command.cpp, session_auth.cpp).
  using LocalHandler = void (ClientSession::*)(LocalCall& call);
  static LocalHandler local_handler(command::LocalCommand local);
  static LocalHandler client_handler(plan::ClientSub sub);
  void cmd_unreachable(LocalCall& call);
  void cmd_ping(LocalCall& call);
  void cmd_echo(LocalCall& call);
  void cmd_hello(LocalCall& call);
  void cmd_auth(LocalCall& call);
  void cmd_select(LocalCall& call);
  bool select_database(const resp::Request& r, std::string& out);
  void cmd_reset(LocalCall& call);
  void cmd_unwatch(LocalCall& call);  // UNWATCH after a lost WATCH (session_transaction.cpp)
  void cmd_client(LocalCall& call);
  void cmd_funnel(LocalCall& call);
  void funnel_pause(LocalCall& call, bool pause);
  void funnel_reload(LocalCall& call);
  void cmd_funnel_slowlog(LocalCall& call);  // client/slowlog_command.cpp
  void cmd_funnel_hotkeys(LocalCall& call);  // client/hotkeys_command.cpp
  [[gnu::cold, gnu::noinline]] void sample_hot_key(const resp::Request& request);
  void cmd_acl_whoami(LocalCall& call);
  void cmd_pubsub(LocalCall& call);
  void client_id(LocalCall& call);
  void client_getname(LocalCall& call);
  void client_setname(LocalCall& call);
  void client_setinfo(LocalCall& call);
  void client_info(LocalCall& call);
  void client_list(LocalCall& call);
  void client_getredir(LocalCall& call);
  void client_trackinginfo(LocalCall& call);
  void client_reply(LocalCall& call);
  void client_help(LocalCall& call);
  // Authentication and permissions (session_auth.cpp). log_in answers at once (kLoggedIn,
  // kFailed, or kFull: the user holds its max_connections) or leaves request `seq` pending while
  // the backend checks (session_backend_auth.cpp).
  enum class Login : std::uint8_t { kLoggedIn, kFailed, kFull, kPending };
  using PendingHello = client::PendingHello;
  Login log_in(std::string_view user, std::string_view password, std::uint64_t seq);
  Login log_in_backend(std::string_view user, std::string_view password, std::uint64_t seq);
  std::string full_user_error(std::string_view name) const;
  void finish_hello(std::uint64_t seq, bool silent, const PendingHello& hello);
  void act_as_backend_user(std::shared_ptr<const security::User> user);
  // Fair admission (session_admission.cpp): the connection moves to `next`'s count; false (and
  // state_.user unchanged) when `next` already holds its max_connections.
  bool switch_user(const security::User* next);
  [[gnu::cold, gnu::noinline]] bool over_user_rate(const resp::Request& request);
  [[gnu::cold]] void refuse_full_user(const security::User& user);
  void on_auth_failure();
  void hold_auth_reply(std::uint64_t seq);
  std::string throttle_key() const;
  std::string_view parser_error_text(std::string_view message, std::string& storage) const;
  void write_hello_reply(std::string& out);
  void set_name(std::string_view name);
  std::string_view name() const {
    return rare_->name ? std::string_view(*rare_->name) : std::string_view();
  }
  std::string info_line();
  std::string transform_info(std::string_view reply) const;

  SessionContext& ctx_;
  net::Transport transport_;  // the client's socket (owned: close() closes it), plain or TLS
  SessionRegistry::Handle handle_{};
  std::uint64_t id_;
  // The input and output buffers and the partial request's parse position (session_io.hpp):
  // the shared empty block while idle, a block from the worker's pool while bytes are in flight.
  const SessionIo* io_ = &kNoSessionIo;
  std::int64_t buffer_held_ = 0;  // what this session added to the process buffer counter
  ReplyQueue replies_;
  // The protocol state the planner decides from (mode, user, protocol, database, pin, lanes).
  plan::SessionState state_;
  // Transactions, pins, subscriptions, names ... (session_rare.hpp): the shared empty block
  // until the session needs one of its own (rare()).
  const SessionRare* rare_ = &kNoSessionRare;
  common::Millis connected_at_;
  common::Millis last_activity_;
  std::uint64_t close_after_seq_ = UINT64_MAX;  // QUIT / protocol error: close after this reply
  std::uint8_t pending_ops_ = 0;                // outstanding readiness waits and posted flushes
  bool protocol_failed_ = false;                // closing after a protocol error (metrics reason)
  // The holds, one byte of bits (an idle session stays under 224 bytes: SessionSize); the
  // request path tests the three "expired" bits together.
  bool lane_hold_ : 1 = false;         // a request waits at the lane barrier (reading is paused)
  bool pause_held_ : 1 = false;        // ... for a CLIENT PAUSE to end (counted in the PauseGate)
  bool pause_expired_ : 1 = false;     // ... and the FUNNEL PAUSE ended at its timeout
  bool failover_held_ : 1 = false;     // ... for the primary's failover (counted in the gate)
  bool failover_expired_ : 1 = false;  // ... and its hold deadline passed first
  bool shard_held_ : 1 = false;     // ... for its cluster shard's promotion (counted in the gate)
  bool shard_expired_ : 1 = false;  // ... and its hold deadline (rare failover_deadline) passed
  // CLIENT SETINFO, as ids in the worker's StringInterner (0: none): every client of a fleet
  // sends the same library name and version, so each session holds two 2-byte ids.
  std::uint16_t lib_name_ = 0;
  std::uint16_t lib_ver_ = 0;
  bool silent_ = false;  // the current request's reply is dropped
  // A failed AUTH's reply is held, or the backend checks a password: nothing more is read.
  bool auth_delayed_ = false;
  bool tls_read_wants_write_ = false;  // OpenSSL must write before the next read can progress
  bool tls_write_wants_read_ = false;  // and the reverse
  bool closed_ = false;
  bool read_waiting_ = false;
  bool write_waiting_ = false;
  ReadThen read_then_ = ReadThen::kRead;
  bool read_on_output_ = false;  // the read slot waits for output (TLS)
  bool write_on_input_ = false;  // the write slot waits for input (TLS)
  bool input_ready_ = false;     // an input edge not yet consumed by a read that drained it
  bool output_ready_ = true;     // no write has found the socket full since the last edge
  bool output_watched_ = false;  // EPOLLOUT is in the registration (only while needed)
  bool ready_posted_ = false;    // run_ready_slots is posted
  bool flush_posted_ = false;    // a flush is due: posted, or (in_read_) run when on_readable ends
  bool in_read_ = false;         // on_readable is parsing this session's requests
  bool reading_paused_ = false;
  bool stop_reading_ = false;  // QUIT, protocol error, drain or EOF: read no more requests
  bool rate_limited_ = false;  // the user has max_commands_per_s (checked per request)
  bool peer_closed_ = false;   // the client has closed its end (EPOLLRDHUP or EOF read)
};

// Fans a hub batch out to this worker's subscribers (session_pubsub.cpp). Worker thread only.
void dispatch_pubsub(SessionContext& ctx, const PubsubDelivery& batch);

}  // namespace funnel::client
