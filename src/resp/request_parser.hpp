// First step of a request's life: client bytes -> Request (argument views + the raw bytes to
// forward). Incremental and zero-copy for multibulk; inline commands are split with Redis's
// quoting rules and re-encoded as multibulk. No I/O, no exceptions, no allocation per request
// once the parser's scratch vectors have grown.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace funnel::resp {

enum class ParseStatus : std::uint8_t {
  kNeedMore,  // the buffer holds only part of a request; call again with more bytes
  kComplete,  // request() and consumed() describe one request
  kInvalid,   // protocol error: error() says what; the client must be answered and closed
};

// Limits applied while parsing. Redis's own limits are the defaults where they keep memory
// bounded; max_request_bytes is the proxy's own per-client cap (see docs/configuration.md).
struct ParseLimits {
  // "invalid multibulk length" above. Redis 7 refuses only counts above INT_MAX; memory is
  // bounded by max_request_bytes, since every argument costs at least 6 bytes of request.
  std::size_t max_args = INT32_MAX;
  std::size_t max_bulk_bytes = 512ull * 1024 * 1024;    // "invalid bulk length" above
  std::size_t max_inline_bytes = 64 * 1024;             // "too big inline request" above
  std::size_t max_request_bytes = 64ull * 1024 * 1024;  // whole request, Funnel's own cap
};

// One parsed request. Views point into the buffer given to parse() (multibulk) or into the
// parser's own scratch (inline); they stay valid until the next parse() or reset() call and
// as long as the caller's buffer is unchanged.
class Request {
 public:
  std::size_t argc() const { return argc_; }
  std::string_view arg(std::size_t i) const { return args_[i]; }
  std::span<const std::string_view> args() const { return {args_.data(), argc_}; }
  // Multibulk bytes to send to a backend: the client's own bytes for multibulk requests, the
  // re-encoded form for inline ones. Empty for an empty request (see is_empty()).
  std::string_view raw() const { return raw_; }
  // True for an empty inline line or a multibulk of count <= 0: Redis sends no reply and the
  // request takes no reply slot.
  bool is_empty() const { return argc_ == 0; }
  bool is_inline() const { return inline_; }

 private:
  friend class RequestParser;
  // Room for n views. The storage only grows: a request sets argc_ instead of resizing (and
  // value-initialising) a vector, so the common case writes nothing but its views.
  std::string_view* slots(std::size_t n) {
    if (args_.size() < n) args_.resize(n);
    return args_.data();
  }
  void clear() {
    argc_ = 0;
    raw_ = {};
    inline_ = false;
  }

  std::vector<std::string_view> args_;  // the first argc_ are this request's
  std::size_t argc_ = 0;
  std::string_view raw_;
  bool inline_ = false;
};

// Where a partial request stopped: everything parse() needs to go on later, on this parser or on
// another with the same limits (a worker's parser is shared by its clients; a client keeps only
// this while its request is incomplete). Offsets and counts only, whatever the request's size:
// the arguments seen so far are found again from their headers when the request completes.
class ParsePosition {
 private:
  friend class RequestParser;
  std::size_t pos = 0;             // start of the header or payload being read
  std::size_t scan = 0;            // where the search for a line end resumes
  std::size_t args_at = 0;         // the first bulk header, after the count line
  std::int64_t argc_total = 0;     // the count line's value
  std::int64_t argc_expected = 0;  // bulks still expected
  std::int64_t bulk_len = -1;      // length of the bulk being read, -1 before its header
  std::uint8_t state = 0;
  bool scan_blocked = false;
};

// Contract: call parse(buf) where buf starts at the first byte of the request not yet consumed.
// On kNeedMore, call again later with the same start and more bytes appended: the parser resumes
// where it stopped, so a request that arrives in pieces costs time linear in its bytes (to serve
// other requests meanwhile, suspend() it into a ParsePosition and resume() it later). On
// kComplete, consumed() bytes form the request and the parser is ready for the next one, which
// starts at buf + consumed(). On kInvalid, error() is Redis's text after "Protocol error: " (e.g.
// "invalid bulk length") or the proxy's own limit text; the parser stays invalid until reset().
//
// Framing follows redis-server 7.0 exactly, quirks included, so a backend never sees a request
// boundary the proxy did not: the two bytes after a bulk payload (and after a header's '\r') are
// skipped unchecked, and a NUL inside a header or inline line hides its end (Redis then waits
// for more bytes until the 64 KB line limit).
class RequestParser {
 public:
  explicit RequestParser(const ParseLimits& limits = {}) { set_limits(limits); }

  ParseStatus parse(std::string_view buf) {
    // Inline, so the common case (a whole request, tried at a request's start) costs one call.
    if (state_ == State::kStart && !invalid_ && parse_whole_multibulk(buf)) [[likely]] {
      return ParseStatus::kComplete;
    }
    return parse_resumable(buf);
  }
  std::size_t consumed() const { return consumed_; }
  const Request& request() const { return request_; }
  std::string_view error() const { return error_; }
  // After kNeedMore: moves the partial request's position out and forgets it (as reset() does),
  // so the parser can serve other requests. resume() takes it back (the parser must not be in
  // the middle of another request); the next parse() gets the same start with more bytes.
  void suspend(ParsePosition& out);
  void resume(const ParsePosition& position);
  // The argument storage only grows (see Request::slots), up to kKeptArgs views: the storage of
  // a request with more is given back when the next parse() or reset() ends its views.
  static constexpr std::size_t kKeptArgs = 4096;
  std::size_t arg_storage() const { return request_.args_.size(); }
  void set_limits(const ParseLimits& limits) {
    limits_ = limits;
    fast_window_ = std::min(limits.max_request_bytes, limits.max_bulk_bytes);
    fast_max_args_ = std::min(limits.max_args, request_.args_.size());
  }
  // Before the next parse(): forgets the last request (its views die) and an error, but keeps a
  // partial request that resume() put back. A few stores and one test, inline.
  void prepare() {
    request_.clear();
    consumed_ = 0;
    if (invalid_) restart();
  }
  // True while a partial request is held (after kNeedMore or resume(), before suspend()).
  bool mid_request() const {
    return state_ != State::kStart && state_ != State::kTrim && !invalid_;
  }
  // Forgets the last request (its views die) and any partial one.
  void reset() {
    request_.clear();
    consumed_ = 0;
    if (state_ != State::kStart || invalid_) restart();
  }

 private:
  // Implementation state lives in request_parser.cpp; the layout below is private.
  // kTrim: at a request's start, like kStart, with argument storage to give back first (a state
  // rather than a flag so that the common path checks nothing more).
  enum class State : std::uint8_t {
    kStart,
    kMultibulkCount,
    kBulkHeader,
    kBulkPayload,
    kInline,
    kTrim
  };
  enum class Step : std::uint8_t { kContinue, kNeedMore, kComplete, kInvalid };
  static ParseStatus to_status(Step step);
  void restart();
  ParseStatus parse_resumable(std::string_view buf);

  // One method per state; each returns kContinue after moving to another state.
  Step on_start(std::string_view buf);
  Step on_multibulk_count(std::string_view buf);
  bool parse_whole_multibulk(std::string_view buf);
  Step start_bulks(std::string_view buf, std::size_t cr, std::int64_t count);
  Step on_bulk_header(std::string_view buf);
  Step start_payload(std::size_t cr, std::int64_t len);
  Step on_bulk_payload(std::string_view buf);
  Step on_inline(std::string_view buf);
  // The '\r' ending the header line that starts at pos_ (kNotFound when not yet there).
  std::size_t find_header_end(std::string_view buf);
  Step complete_multibulk(std::string_view buf);
  Step complete_inline(std::size_t consumed);
  Step fail(std::string_view message);
  Step fail_request_too_big();
  // Bytes of buf from pos_ on (0 if a caller broke the contract and passed a shorter buffer).
  std::size_t remaining(std::string_view buf) const {
    return buf.size() > pos_ ? buf.size() - pos_ : 0;
  }
  void start_next();
  void finish_request();
  void trim_storage();
  // Room for n argument views in request_ (the storage only grows).
  std::string_view* arg_slots(std::size_t n) {
    std::string_view* slots = request_.slots(n);
    fast_max_args_ = std::min(limits_.max_args, request_.args_.size());
    return slots;
  }

  ParseLimits limits_;
  // A whole request no longer than this is within max_request_bytes and each of its bulks within
  // max_bulk_bytes, so the fast path checks the limits once, not per argument.
  std::size_t fast_window_ = 0;
  // The most arguments the fast path takes: within max_args and the storage it has (a request
  // with more goes to the state machine, which grows the storage; see arg_slots()).
  std::size_t fast_max_args_ = 0;
  Request request_;
  std::size_t consumed_ = 0;
  std::string_view error_;
  std::string error_storage_;
  // Resumable multibulk state.
  State state_ = State::kStart;
  std::size_t pos_ = 0;              // start of the header or payload being read
  std::size_t scan_ = 0;             // where the search for a line end resumes
  bool scan_blocked_ = false;        // a NUL hides the rest of the line, as in Redis
  std::size_t args_at_ = 0;          // the first bulk header, after the count line
  std::int64_t argc_total_ = 0;      // the count line's value
  std::int64_t argc_expected_ = -1;  // bulks still expected
  std::int64_t bulk_len_ = -1;       // length of the bulk being read, -1 before its header
  // Inline scratch: unescaped arguments and the re-encoded multibulk.
  std::string inline_args_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> inline_spans_;
  std::string inline_raw_;
  bool invalid_ = false;
};

// Splits an inline command line the way Redis's sdssplitargs does (quotes, \xHH and the
// usual backslash escapes inside double quotes, '' with \' inside single quotes). Appends the
// unescaped arguments to out_bytes and their spans (offsets into out_bytes) to spans. Like
// sdssplitargs, which reads a C string, it stops at a NUL byte. Returns false on unbalanced
// quotes, leaving out_bytes and spans as they were.
bool split_inline_args(std::string_view line, std::string& out_bytes,
                       std::vector<std::pair<std::uint32_t, std::uint32_t>>& spans);

}  // namespace funnel::resp
