// Finds where each backend reply ends without building it: the hot path of the reply side.
// Understands every RESP2 and RESP3 type, including attributes (framed together with the reply
// they annotate), push messages and streamed strings and aggregates. No I/O, no recursion: any
// nesting Redis can send is framed, with a stack that grows with the headers that arrived.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace funnel::resp {

enum class FrameStatus : std::uint8_t { kNeedMore, kComplete, kInvalid };

// The top-level type of a framed reply (after any attribute), by its RESP type byte.
enum class ReplyKind : std::uint8_t {
  kSimpleString,  // +
  kError,         // -  or  ! (blob error)
  kInteger,       // :
  kBulk,          // $
  kArray,         // *
  kNull,          // _  (also $-1 and *-1 are reported as kBulk / kArray)
  kDouble,        // ,
  kBoolean,       // #
  kBigNumber,     // (
  kVerbatim,      // =
  kMap,           // %
  kSet,           // ~
  kPush,          // >  (out-of-band: never a reply to a request)
};

struct FramerLimits {
  // Nesting deeper than this is invalid. Unlimited by default: Redis itself sends replies nested
  // thousands of levels deep (a Lua table that contains itself), and a shared link must frame
  // every reply its clients can make Redis send. Each level costs 16 bytes of stack here for
  // at least 4 bytes received, so memory follows the bytes that arrived. Bounded only where a
  // tree is built (parse_value, which recurses).
  std::size_t max_depth = SIZE_MAX;
  // Bytes of one reply held at once: the whole reply, or what a streaming caller has not yet
  // released with release_settled().
  std::size_t max_reply_bytes = 1024ull * 1024 * 1024;
};

// Contract: like RequestParser, frame(buf) takes a buffer starting at the first byte of the next
// unframed reply; call again with more bytes appended after kNeedMore (it resumes, it does not
// rescan). After kComplete, length() is the reply's size, kind() its top-level type and the framer
// is ready for the next reply at buf + length().
class ReplyFramer {
 public:
  explicit ReplyFramer(const FramerLimits& limits = {}) : limits_(limits) {}

  FrameStatus frame(std::string_view buf) {
    // Inline, so the common case costs one call. pos_ == 0 && !invalid_: no partial reply is
    // held, so buf may start with a whole simple reply.
    if (pos_ == 0 && !invalid_ && frame_whole_simple(buf)) [[likely]] {
      return FrameStatus::kComplete;
    }
    return frame_resumable(buf);
  }
  std::size_t length() const { return length_; }
  ReplyKind kind() const { return kind_; }
  // On kInvalid: what was wrong, for the log line that closes the link.
  std::string_view error() const { return error_; }

  // Streaming a large reply (after kNeedMore): settled() is how many bytes at the start of the
  // buffer belong to the partial reply and will never be looked at again (headers framed,
  // payload bytes passed); partial_kind() its top-level type once known (false while only an
  // attribute has been read). release_settled(n) tells the framer the caller dropped the first n
  // of those bytes: the next frame() gets a buffer starting n bytes later, and length() of the
  // completed reply then counts only the bytes after the released ones. At least one settled
  // byte is always kept, so a reply in progress is never taken for a new one.
  std::size_t settled() const { return pos_; }
  std::size_t releasable() const { return pos_ > 0 ? pos_ - 1 : 0; }
  bool partial_kind(ReplyKind& kind) const {
    kind = kind_;
    return kind_known_ && !invalid_;
  }
  void release_settled(std::size_t n);
  // Forgets the last reply and any partial one. Called after every reply, so the usual case (the
  // last frame() completed) is a few stores, inline.
  void reset() {
    length_ = 0;
    kind_ = ReplyKind::kNull;
    scan_ = 0;  // a first line may have been searched without being found
    if (pos_ != 0 || invalid_) restart();
  }

 private:
  enum class State : std::uint8_t { kValue, kPayload, kChunkHeader };
  enum class Step : std::uint8_t { kContinue, kNeedMore, kComplete, kInvalid };
  // One open aggregate: the elements it still expects (-1 for a streamed aggregate that ends with
  // ".\r\n"). An attribute counts its key/value elements; the reply it annotates follows it and
  // is the element its parent counts.
  struct Open {
    std::int64_t remaining;
    bool is_attribute;
  };

  void restart();
  FrameStatus frame_resumable(std::string_view buf);
  // One method per state; each returns kContinue after moving to another state.
  bool frame_whole_simple(std::string_view buf);
  Step on_value(std::string_view buf);
  Step on_payload(std::string_view buf);
  Step on_chunk_header(std::string_view buf);
  // Per type group, called by on_value with the header line (after the type byte).
  Step on_line(char type, std::string_view line);
  Step on_blob_header(char type, std::string_view line);
  Step on_aggregate_header(char type, std::string_view line);
  Step on_stream_end(std::string_view line);
  Step open_aggregate(std::int64_t elements, bool is_attribute);
  // One value finished: close every aggregate it completes; kComplete when the reply ended.
  Step value_done();
  // The '\r' of the CRLF ending the line that starts at pos_, or kNotFound (need more bytes).
  std::size_t find_line_end(std::string_view buf, Step& step);
  Step fail(std::string_view message);

  FramerLimits limits_;
  std::size_t length_ = 0;
  ReplyKind kind_ = ReplyKind::kNull;
  std::string_view error_;
  // Resumable state. pos_ == 0 exactly when no part of a reply has been framed yet (every
  // header moves it forward); with !invalid_ the rest is then as after a complete reply.
  State state_ = State::kValue;
  std::size_t pos_ = 0;   // start of the line or payload being read
  std::size_t scan_ = 0;  // where the search for the next '\r' resumes
  std::int64_t payload_len_ = 0;
  char payload_type_ = '$';  // '$', '=', '!', or ';' for a streamed string's chunk
  std::vector<Open> pending_;
  bool kind_known_ = false;
  bool expect_annotated_ = false;  // an attribute just ended: a value (not ".") must follow
  bool invalid_ = false;
};

// True if reply is an error reply ('-' or blob error '!') whose first word is exactly code, e.g.
// "MOVED", "ASK", "READONLY", "LOADING". An error behind an attribute is not recognised.
bool error_code_is(std::string_view reply, std::string_view code);

}  // namespace funnel::resp
