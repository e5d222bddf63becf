// A ClientSession's rarely used state (transactions, pinned links, subscriptions, corrected
// PUBLISH counts, read routing, cross-slot fan-outs, CLIENT SETNAME, the AUTH delay timer, links
// paused for a streamed reply, a user kept in the backend, the PAUSE and failover hold
// bookkeeping), kept out of the session object so that an idle client of a
// fleet costs little (issue #20: 10,000 idle node-redis 6 clients). A session points at the
// shared, always empty kNoSessionRare until it first needs one of these, then owns a block of
// its own (ClientSession::rare()), given back when all of it is unused again.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/asio_types.hpp"

namespace funnel::backend {
class StreamSource;
}

namespace funnel::client {

class TransactionQueue;
class PinLease;
class SessionSubscriptions;
struct CountedReplies;
struct ReadState;
class SlotFanOuts;
struct BackendLogin;

struct SessionRare {
  constexpr SessionRare() = default;
  ~SessionRare();  // client_session.cpp, where the types are complete
  SessionRare(const SessionRare&) = delete;
  SessionRare& operator=(const SessionRare&) = delete;

  // True when nothing here is in use: the block can go back to the heap.
  bool unused() const {
    return !tx && !pin && !subs && !counted && !reads && !fan_outs && !name && !auth_delay &&
           !paused_streams && !backend_login && hold_all_id == 0 && failover_deadline == 0;
  }

  std::unique_ptr<TransactionQueue> tx;        // inside a MULTI that Funnel holds
  std::unique_ptr<PinLease> pin;               // a pinned link leased (or awaited)
  std::unique_ptr<SessionSubscriptions> subs;  // from the first (P|S)SUBSCRIBE
  std::unique_ptr<CountedReplies> counted;     // PUBLISH/NUMSUB replies to correct
  std::unique_ptr<ReadState> reads;            // from the first read routed or write tracked
  std::unique_ptr<SlotFanOuts> fan_outs;       // cross-slot requests in flight
  std::unique_ptr<std::string> name;           // CLIENT SETNAME
  std::unique_ptr<SteadyTimer> auth_delay;     // holds a failed AUTH's reply (AuthThrottle)
  // Links paused until this client drains (streamed replies).
  std::unique_ptr<std::vector<std::weak_ptr<backend::StreamSource>>> paused_streams;
  // A user kept in the backend: the rules state_.user points into, and a HELLO whose AUTH the
  // backend is checking. Null for configured users.
  std::unique_ptr<BackendLogin> backend_login;
  std::uint64_t hold_all_id = 0;  // the FUNNEL PAUSE holding a request (0: none, or CLIENT PAUSE)
  // The hold deadline of the requests read so far (0: none): requests that arrived together
  // share it, so a pipeline fails together instead of one hold after another.
  std::int64_t failover_deadline = 0;  // common::Millis
};

// What every session without a block of its own reads: all empty, never written.
extern const SessionRare kNoSessionRare;

}  // namespace funnel::client
