// Finds where each backend reply ends without building it: the hot path of the reply side.
// Understands every RESP2 and RESP3 type, including attributes (framed together with the reply
// they annotate), push messages and streamed strings and aggregates. No I/O, no allocation once
// its small stack has grown.
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
  std::size_t max_depth = 64;   // nesting deeper than this is invalid
  std::size_t max_reply_bytes = 1024ull * 1024 * 1024;
};

// Contract: like RequestParser, frame(buf) takes a buffer starting at the first byte of the next
// unframed reply; call again with more bytes appended after kNeedMore (it resumes, it does not
// rescan). After kComplete, length() is the reply's size, kind() its top-level type and the framer
// is ready for the next reply at buf + length().
class ReplyFramer {
 public:
  explicit ReplyFramer(const FramerLimits& limits = {}) : limits_(limits) {}

  FrameStatus frame(std::string_view buf);
  std::size_t length() const { return length_; }
  ReplyKind kind() const { return kind_; }
  // On kInvalid: what was wrong, for the log line that closes the link.
  std::string_view error() const { return error_; }
  void reset();

 private:
  FrameStatus fail(std::string_view message);

  FramerLimits limits_;
  std::size_t length_ = 0;
  ReplyKind kind_ = ReplyKind::kNull;
  std::string_view error_;
  // Resumable state: position and, per open aggregate, the elements still expected
  // (-1 for a streamed aggregate that ends with ".\r\n").
  std::size_t pos_ = 0;
  std::vector<std::int64_t> pending_;
  bool kind_known_ = false;
  bool in_attribute_ = false;
  std::size_t attribute_depth_ = 0;
};

// True if a complete error reply (kind kError) starts with the given error code, e.g. "MOVED",
// "ASK", "READONLY", "LOADING".
bool error_code_is(std::string_view reply, std::string_view code);

}  // namespace funnel::resp
