// RequestParser: the first step of a request's life (client bytes -> Request). Frames multibulk
// requests exactly as redis-server 7 does, so the proxy and its backend agree on every boundary.
#include "resp/request_parser.hpp"

#include <algorithm>
#include <charconv>

#include "resp/numbers.hpp"

namespace funnel::resp {
namespace {

constexpr std::size_t kCrlf = 2;

// The common header: "<digits>\r" plus the byte after '\r', all in `buf`, digits as string2ll
// accepts them ("0", or no leading zero) and short enough not to overflow. Returns the index of
// '\r', or kNotFound to send the caller down the general path (which finds '\r' with strchr's
// rules and validates with parse_redis_ll, and so gives the same result on every input this
// accepts). Used by the state machine, where a header may arrive in pieces.
std::size_t scan_plain_number(std::string_view buf, std::size_t from, std::int64_t& value) {
  constexpr std::size_t kMaxDigits = 18;  // < 10^18: cannot overflow int64
  std::size_t i = from;
  const std::size_t end = std::min(buf.size(), from + kMaxDigits);
  std::int64_t v = 0;
  while (i < end && buf[i] >= '0' && buf[i] <= '9') {
    v = v * 10 + (buf[i] - '0');
    ++i;
  }
  const std::size_t digits = i - from;
  if (digits == 0 || (buf[from] == '0' && digits > 1)) return detail::kNotFound;
  if (i + 1 >= buf.size() || buf[i] != '\r') return detail::kNotFound;
  value = v;
  return i;
}

constexpr unsigned digit_value(char c) {
  return static_cast<unsigned>(static_cast<unsigned char>(c)) - unsigned{'0'};  // > 9 if not
}

// A header line read by the fast path: the number and the first byte after the line, or
// next == nullptr to leave the request to the state machine. Returned in registers.
struct Header {
  const char* next;
  std::uint32_t value;
};

// skip_small_header()'s general case: up to 9 digits (every count and length a client sends in
// practice; < 10^9 fits 32 bits), as string2ll accepts them.
inline Header skip_header_loop(const char* p, const char* end) {
  constexpr std::ptrdiff_t kMaxDigits = 9;
  const char* const first = ++p;  // past the type byte
  const char* const stop = end - p > kMaxDigits ? p + kMaxDigits : end;
  std::uint32_t v = 0;
  for (; p < stop && digit_value(*p) <= 9; ++p) v = v * 10 + digit_value(*p);
  if (p == first || (*first == '0' && p - first > 1)) return {nullptr, 0};
  if (end - p < 2 || *p != '\r') return {nullptr, 0};
  return {p + kCrlf, v};
}

// The fast path's header line: `type`, a small number as string2ll accepts it, '\r' and one more
// byte (skipped unchecked, as Redis does), all before `end`. Nearly every header has one or
// two digits: those take no loop and one bounds check (5 bytes: type, 2 digits, '\r', 1 byte).
// Fewer than 5 bytes never hold a whole request from here: a count header is followed by a bulk
// header, and a bulk header "$N\r\n" by at least its payload's CRLF.
inline Header skip_small_header(char type, const char* p, const char* end) {
  if (end - p < 5 || p[0] != type) return {nullptr, 0};
  const unsigned first = digit_value(p[1]);
  if (first <= 9 && p[2] == '\r') return {p + 2 + kCrlf, first};
  const unsigned second = digit_value(p[2]);
  if (first - 1 <= 8 && second <= 9 && p[3] == '\r') {  // first in 1..9: no leading zero
    return {p + 3 + kCrlf, first * 10 + second};
  }
  return skip_header_loop(p, end);
}

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

}  // namespace

ParseStatus RequestParser::parse_resumable(std::string_view buf) {
  if (invalid_) return ParseStatus::kInvalid;
  consumed_ = 0;
  Step step = Step::kContinue;
  while (step == Step::kContinue) {
    switch (state_) {
      case State::kStart:
        step = on_start(buf);
        break;
      case State::kMultibulkCount:
        step = on_multibulk_count(buf);
        break;
      case State::kBulkHeader:
        step = on_bulk_header(buf);
        break;
      case State::kBulkPayload:
        step = on_bulk_payload(buf);
        break;
      case State::kInline:
        step = on_inline(buf);
        break;
      case State::kTrim:
        trim_storage();
        state_ = State::kStart;
        break;
    }
  }
  return to_status(step);
}

ParseStatus RequestParser::to_status(Step step) {
  switch (step) {
    case Step::kComplete:
      return ParseStatus::kComplete;
    case Step::kInvalid:
      return ParseStatus::kInvalid;
    default:
      return ParseStatus::kNeedMore;
  }
}

void RequestParser::suspend(ParsePosition& out) {
  out.pos = pos_;
  out.scan = scan_;
  out.args_at = args_at_;
  out.argc_total = argc_total_;
  out.argc_expected = argc_expected_;
  out.bulk_len = bulk_len_;
  out.state = static_cast<std::uint8_t>(state_);
  out.scan_blocked = scan_blocked_;
  reset();
}

void RequestParser::resume(const ParsePosition& position) {
  if (state_ == State::kTrim) trim_storage();
  request_.clear();
  consumed_ = 0;
  error_ = {};  // another client's protocol error may have left the parser invalid
  invalid_ = false;
  pos_ = position.pos;
  scan_ = position.scan;
  args_at_ = position.args_at;
  argc_total_ = position.argc_total;
  argc_expected_ = position.argc_expected;
  bulk_len_ = position.bulk_len;
  state_ = static_cast<State>(position.state);
  scan_blocked_ = position.scan_blocked;
}

// After a complete request: the next starts at kStart, or at kTrim when this one's views took
// more storage than is kept.
void RequestParser::finish_request() {
  start_next();
  if (request_.args_.size() > kKeptArgs) state_ = State::kTrim;
}

void RequestParser::trim_storage() {
  request_.clear();
  request_.args_.resize(kKeptArgs);
  request_.args_.shrink_to_fit();
  fast_max_args_ = std::min(limits_.max_args, request_.args_.size());
}

void RequestParser::restart() {
  if (state_ == State::kTrim) trim_storage();
  start_next();
  error_ = {};
  invalid_ = false;
}

void RequestParser::start_next() {
  state_ = State::kStart;
  pos_ = 0;
  scan_ = 0;
  scan_blocked_ = false;
  args_at_ = 0;
  argc_total_ = 0;
  argc_expected_ = -1;
  bulk_len_ = -1;
}

// The common case in one pass: a whole multibulk request with small plain headers, already in
// `buf`, within every limit. Anything else (a partial request, an unusual header, a limit
// reached) returns false having changed nothing the caller can see, and the state machine below
// parses the same bytes from the start and gives the exact answer or error. Like the state
// machine (and Redis), it skips the byte after each '\r' and the CRLF after each payload
// unchecked.
bool RequestParser::parse_whole_multibulk(std::string_view buf) {
  const char* const begin = buf.data();
  // Within the window the limits hold (see fast_window_), so the loop does not check them.
  const char* const end = begin + std::min(buf.size(), fast_window_);
  const Header count = skip_small_header('*', begin, end);
  // Also refuses 0 (wraps around). Past fast_max_args_ (more arguments than ever before, or
  // over max_args) the state machine decides, and grows the storage once per new size, which
  // keeps this function free of calls and so of register saves.
  if (count.next == nullptr || std::size_t{count.value} - 1 >= fast_max_args_) return false;
  const char* p = count.next;
  std::string_view* arg = request_.args_.data();
  for (std::string_view* const last = arg + count.value; arg != last; ++arg) {
    const Header bulk = skip_small_header('$', p, end);
    if (bulk.next == nullptr || static_cast<std::size_t>(end - bulk.next) < bulk.value + kCrlf) {
      return false;
    }
    *arg = std::string_view(bulk.next, bulk.value);
    p = bulk.next + bulk.value + kCrlf;
  }
  const auto size = static_cast<std::size_t>(p - begin);
  request_.argc_ = count.value;
  request_.raw_ = std::string_view(begin, size);
  request_.inline_ = false;
  consumed_ = size;
  return true;
}

RequestParser::Step RequestParser::on_start(std::string_view buf) {
  if (buf.empty()) return Step::kNeedMore;
  // The previous request's views die here, as the contract says.
  request_.clear();
  state_ = buf[0] == '*' ? State::kMultibulkCount : State::kInline;
  return Step::kContinue;
}

std::size_t RequestParser::find_header_end(std::string_view buf) {
  if (scan_blocked_) return detail::kNotFound;
  std::size_t cr = detail::find_like_strchr(buf, std::max(scan_, pos_), '\r', &scan_blocked_);
  if (cr == detail::kNotFound) {
    scan_ = buf.size();
    return detail::kNotFound;
  }
  scan_ = cr;
  return cr;
}

RequestParser::Step RequestParser::on_multibulk_count(std::string_view buf) {
  std::int64_t count = 0;
  std::size_t cr = scan_plain_number(buf, 1, count);
  if (cr != detail::kNotFound) {
    if (count > INT32_MAX || static_cast<std::uint64_t>(count) > limits_.max_args) {
      return fail("invalid multibulk length");
    }
    return start_bulks(buf, cr, count);
  }
  cr = find_header_end(buf);
  if (cr == detail::kNotFound) {
    // Redis bounds header lines with PROTO_INLINE_MAX_SIZE, the inline limit; so do we.
    if (buf.size() > limits_.max_inline_bytes) return fail("too big mbulk count string");
    return Step::kNeedMore;
  }
  // Redis needs one more byte after '\r' and skips it without looking at it.
  if (cr + 1 >= buf.size()) return Step::kNeedMore;
  if (!detail::parse_redis_ll(buf.substr(1, cr - 1), count) || count > INT32_MAX ||
      (count > 0 && static_cast<std::uint64_t>(count) > limits_.max_args)) {
    return fail("invalid multibulk length");
  }
  return start_bulks(buf, cr, count);
}

RequestParser::Step RequestParser::start_bulks(std::string_view buf, std::size_t cr,
                                               std::int64_t count) {
  pos_ = cr + kCrlf;
  args_at_ = pos_;
  if (count <= 0) return complete_multibulk(buf);  // Redis ignores it and sends no reply
  argc_total_ = count;
  argc_expected_ = count;
  state_ = State::kBulkHeader;
  return Step::kContinue;
}

RequestParser::Step RequestParser::on_bulk_header(std::string_view buf) {
  if (pos_ < buf.size() && buf[pos_] == '$') {
    std::int64_t len = 0;
    const std::size_t cr = scan_plain_number(buf, pos_ + 1, len);
    if (cr != detail::kNotFound) {
      if (static_cast<std::uint64_t>(len) > limits_.max_bulk_bytes) {
        return fail("invalid bulk length");
      }
      return start_payload(cr, len);
    }
  }
  std::size_t cr = find_header_end(buf);
  if (cr == detail::kNotFound) {
    if (remaining(buf) > limits_.max_inline_bytes) return fail("too big bulk count string");
    return Step::kNeedMore;
  }
  if (cr + 1 >= buf.size()) return Step::kNeedMore;
  if (buf[pos_] != '$') {
    error_storage_.assign("expected '$', got '");
    error_storage_.push_back(buf[pos_]);
    error_storage_.push_back('\'');
    return fail(error_storage_);
  }
  std::int64_t len = 0;
  if (!detail::parse_redis_ll(buf.substr(pos_ + 1, cr - pos_ - 1), len) || len < 0 ||
      static_cast<std::uint64_t>(len) > limits_.max_bulk_bytes) {
    return fail("invalid bulk length");
  }
  return start_payload(cr, len);
}

RequestParser::Step RequestParser::start_payload(std::size_t cr, std::int64_t len) {
  pos_ = cr + kCrlf;
  // Refuse at the header, before buffering a payload that could never be forwarded.
  if (static_cast<std::uint64_t>(len) + kCrlf > limits_.max_request_bytes ||
      pos_ + static_cast<std::size_t>(len) + kCrlf > limits_.max_request_bytes) {
    return fail_request_too_big();
  }
  bulk_len_ = len;
  state_ = State::kBulkPayload;
  return Step::kContinue;
}

RequestParser::Step RequestParser::on_bulk_payload(std::string_view buf) {
  std::size_t len = static_cast<std::size_t>(bulk_len_);
  // Like Redis, the two bytes after the payload are skipped, not checked: the backend will do
  // the same with the raw bytes we forward.
  if (remaining(buf) < len + kCrlf) return Step::kNeedMore;
  pos_ += len + kCrlf;
  scan_ = pos_;
  bulk_len_ = -1;
  if (--argc_expected_ > 0) {
    state_ = State::kBulkHeader;
    return Step::kContinue;
  }
  return complete_multibulk(buf);
}

// The arguments are found again from their headers, which were all validated on the way (each
// is '$', digits only, '\r' and one more byte), rather than remembered as they passed: a partial
// request then costs its client a fixed-size ParsePosition, not 16 bytes per argument.
RequestParser::Step RequestParser::complete_multibulk(std::string_view buf) {
  const auto argc = static_cast<std::size_t>(std::max<std::int64_t>(argc_total_, 0));
  std::string_view* args = arg_slots(argc);
  const char* p = buf.data() + args_at_;
  for (std::size_t i = 0; i < argc; ++i) {
    std::size_t len = 0;
    for (++p; *p != '\r'; ++p) len = len * 10 + digit_value(*p);
    args[i] = std::string_view(p + kCrlf, len);
    p += kCrlf + len + kCrlf;
  }
  request_.argc_ = argc;
  request_.raw_ = request_.is_empty() ? std::string_view() : buf.substr(0, pos_);
  consumed_ = pos_;
  finish_request();
  return Step::kComplete;
}

RequestParser::Step RequestParser::on_inline(std::string_view buf) {
  std::size_t newline = detail::kNotFound;
  if (!scan_blocked_) newline = detail::find_like_strchr(buf, scan_, '\n', &scan_blocked_);
  if (newline == detail::kNotFound) {
    scan_ = buf.size();
    if (buf.size() > limits_.max_inline_bytes) return fail("too big inline request");
    return Step::kNeedMore;
  }
  std::size_t line_end = newline > 0 && buf[newline - 1] == '\r' ? newline - 1 : newline;
  if (line_end > UINT32_MAX || line_end > limits_.max_request_bytes) {
    return fail_request_too_big();
  }
  inline_args_.clear();
  inline_spans_.clear();
  if (!split_inline_args(buf.substr(0, line_end), inline_args_, inline_spans_)) {
    return fail("unbalanced quotes in request");
  }
  return complete_inline(newline + 1);
}

RequestParser::Step RequestParser::complete_inline(std::size_t consumed) {
  // Backends receive multibulk only: re-encode the (rare) inline command once, here.
  inline_raw_.clear();
  if (!inline_spans_.empty()) {
    inline_raw_.push_back('*');
    append_number(inline_raw_, inline_spans_.size());
    inline_raw_.append("\r\n");
  }
  std::string_view* out = arg_slots(inline_spans_.size());
  std::string_view args(inline_args_);
  for (std::size_t i = 0; i < inline_spans_.size(); ++i) {
    std::string_view arg = args.substr(inline_spans_[i].first, inline_spans_[i].second);
    out[i] = arg;
    inline_raw_.push_back('$');
    append_number(inline_raw_, arg.size());
    inline_raw_.append("\r\n").append(arg).append("\r\n");
  }
  if (inline_raw_.size() > limits_.max_request_bytes) return fail_request_too_big();
  request_.argc_ = inline_spans_.size();
  request_.raw_ = inline_raw_;
  request_.inline_ = true;
  consumed_ = consumed;
  finish_request();
  return Step::kComplete;
}

RequestParser::Step RequestParser::fail(std::string_view message) {
  error_ = message;
  invalid_ = true;
  request_.clear();
  return Step::kInvalid;
}

RequestParser::Step RequestParser::fail_request_too_big() {
  error_storage_.assign("request exceeds max_request_bytes (");
  append_number(error_storage_, limits_.max_request_bytes);
  error_storage_.append(" bytes); raise limits.max_request_bytes or send smaller values");
  return fail(error_storage_);
}

}  // namespace funnel::resp
