// Where a backend reply goes: a client session (by worker, slab index and generation, so a reply
// for a client that has gone is recognised and dropped) and the client's reply sequence number
// (its slot in the client's ReplyQueue). Plain data, copied across worker threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace funnel::backend {

struct ReplyTarget {
  std::uint32_t session_index = 0;
  std::uint32_t session_generation = 0;
  std::uint64_t seq = 0;
  std::int64_t started_ns = 0;  // when the client's request was read (metrics)
  std::uint16_t worker = 0;
  std::uint16_t command_id = 0;  // command::command_id of the request (metrics label)
  // metrics::CommandClass (4 values), and in the same byte, cluster mode's count of redirects
  // this request followed (client/redirects.cpp: at most 5): the struct stays 32 bytes, copied
  // into every request's pipeline entry.
  std::uint8_t command_class : 4 = 0;
  std::uint8_t redirects : 4 = 0;
  std::uint8_t flags = 0;
  // Replies to read and drop before the one that goes to the client: a MULTI … EXEC block is
  // one request with commands + 2 replies, of which only EXEC's reaches the client.
  std::uint16_t extra_replies = 0;

  static constexpr std::uint8_t kAppendFunnelInfo = 1;  // INFO: append Funnel's section
  static constexpr std::uint8_t kRetried = 2;           // already retried once after READONLY
  static constexpr std::uint8_t kNoReply = 4;           // CLIENT REPLY OFF/SKIP: drop the reply
  // A read-only request sent to a replica: if that node fails it (connection lost, timeout,
  // -LOADING, -MASTERDOWN) it goes to another node instead of failing (it changed nothing).
  static constexpr std::uint8_t kRetryRead = 8;
  // Read-your-writes: a request that may write; its reply tells the session when it was done.
  static constexpr std::uint8_t kWrite = 16;
  // A server-wide command Redis runs even while a script keeps it busy (its allow_busy flag:
  // SCRIPT KILL, FUNCTION KILL, FUNCTION STATS, SHUTDOWN): sent on a connection of its own,
  // never behind other requests on a shared link (backend/script_kill.hpp).
  static constexpr std::uint8_t kOutOfBand = 32;
  // The session corrects or looks into this reply: PUBLISH's and NUMSUB's counts
  // (client/pubsub_counts.hpp), MONITOR's own reply (an error: the client is not monitoring).
  static constexpr std::uint8_t kSessionEdit = 64;
  // A part of a cross-slot request (cluster mode): the session merges it (client/fan_out.hpp).
  static constexpr std::uint8_t kFanOutPart = 128;
  // Replies the session rewrites or looks into: delivered whole, never streamed.
  static constexpr std::uint8_t kEdited = kAppendFunnelInfo | kSessionEdit | kFanOutPart;
};

// How long a reply spent on the backend side, and when it was handed over (for metrics).
struct ReplyTiming {
  std::int64_t backend_ns = 0;  // from the request's write to its reply's read; 0 if unknown
  std::int64_t now_ns = 0;      // when the reply was framed (one clock read per batch)
  // The request's bytes as written, where the link still holds them (FUNNEL SLOWLOG reads them
  // only for a slow request); empty otherwise.
  std::string_view request{};
};

// A large reply is streamed from its link as it is read, in parts (ReplySink::deliver_part).
enum class PartKind : std::uint8_t {
  kMore,  // a part; more follow
  kLast,  // the final part: the reply is complete
  kLost,  // no more parts: the link failed mid-reply
};
// What the receiver of a part wants from the link.
enum class PartVerdict : std::uint8_t {
  kMore,     // send the next parts as they arrive
  kPause,    // stop reading until StreamSource::resume_stream() (the client has enough unsent);
             // the link stops honouring it for a client that holds it up too long
  kDiscard,  // the client is gone: read and drop the rest of this reply
};

// The link streaming a reply: a receiver that answered kPause calls resume_stream() (on the
// link's thread, never from inside deliver_part) once its client has drained.
class StreamSource {
 public:
  virtual void resume_stream() = 0;

 protected:
  ~StreamSource() = default;
};

// Receives replies (and Funnel's own error replies standing in for them) for client sessions.
// Implemented by the worker, which finds the session or forwards to the session's worker.
// Called on the thread of the link that framed the reply; `reply` is valid only during the call.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  virtual void deliver(const ReplyTarget& target, std::string_view reply,
                       const ReplyTiming& timing) = 0;
  // A part of a large reply, in order; exactly one kLast or kLost part ends it (and
  // stands for deliver()). Only replies that are not errors, not INFO with Funnel's section and
  // not inner replies of a block are streamed. `source` may be kept to resume a paused link.
  virtual PartVerdict deliver_part(const ReplyTarget& /*target*/, std::string_view /*part*/,
                                   PartKind /*kind*/, const ReplyTiming& /*timing*/,
                                   const std::weak_ptr<StreamSource>& /*source*/) {
    return PartVerdict::kDiscard;
  }
};

}  // namespace funnel::backend
