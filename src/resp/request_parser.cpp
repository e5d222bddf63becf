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
// accepts). Saves a memchr and a second pass over the digits on every header of every request.
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

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

}  // namespace

ParseStatus RequestParser::parse(std::string_view buf) {
  if (invalid_) return ParseStatus::kInvalid;
  consumed_ = 0;
  if (state_ == State::kStart && parse_whole_multibulk(buf)) return ParseStatus::kComplete;
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

std::size_t RequestParser::bytes_needed_hint() const {
  if (state_ != State::kBulkPayload) return 0;
  return pos_ + static_cast<std::size_t>(bulk_len_) + kCrlf;
}

void RequestParser::reset() {
  start_next();
  request_.args_.clear();
  request_.raw_ = {};
  request_.inline_ = false;
  consumed_ = 0;
  error_ = {};
  invalid_ = false;
}

void RequestParser::start_next() {
  state_ = State::kStart;
  pos_ = 0;
  scan_ = 0;
  scan_blocked_ = false;
  argc_expected_ = -1;
  bulk_len_ = -1;
  arg_spans_.clear();
}

// The common case in one pass: a whole multibulk request with plain headers, already in `buf`,
// within every limit. Anything else (a partial request, an unusual header, a limit reached)
// returns false having changed nothing but the argument views, and the state machine below
// parses the same bytes from the start and gives the exact answer or error.
bool RequestParser::parse_whole_multibulk(std::string_view buf) {
  if (buf.empty() || buf[0] != '*') return false;
  std::int64_t count = 0;
  const std::size_t count_cr = scan_plain_number(buf, 1, count);
  if (count_cr == detail::kNotFound || count <= 0 || count > INT32_MAX ||
      static_cast<std::uint64_t>(count) > limits_.max_args) {
    return false;
  }
  request_.args_.resize(static_cast<std::size_t>(count));
  std::size_t pos = count_cr + kCrlf;
  for (std::string_view& arg : request_.args_) {
    std::int64_t len = 0;
    if (pos >= buf.size() || buf[pos] != '$') return false;
    const std::size_t cr = scan_plain_number(buf, pos + 1, len);
    if (cr == detail::kNotFound || static_cast<std::uint64_t>(len) > limits_.max_bulk_bytes) {
      return false;
    }
    pos = cr + kCrlf;
    const auto size = static_cast<std::size_t>(len);
    if (pos + size + kCrlf > limits_.max_request_bytes || buf.size() - pos < size + kCrlf) {
      return false;
    }
    arg = buf.substr(pos, size);
    pos += size + kCrlf;
  }
  request_.raw_ = buf.substr(0, pos);
  request_.inline_ = false;
  consumed_ = pos;
  return true;
}

RequestParser::Step RequestParser::on_start(std::string_view buf) {
  if (buf.empty()) return Step::kNeedMore;
  // The previous request's views die here, as the contract says.
  request_.args_.clear();
  request_.raw_ = {};
  request_.inline_ = false;
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
  if (count <= 0) return complete_multibulk(buf);  // Redis ignores it and sends no reply
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
  arg_spans_.emplace_back(pos_, len);
  pos_ += len + kCrlf;
  scan_ = pos_;
  bulk_len_ = -1;
  if (--argc_expected_ > 0) {
    state_ = State::kBulkHeader;
    return Step::kContinue;
  }
  return complete_multibulk(buf);
}

RequestParser::Step RequestParser::complete_multibulk(std::string_view buf) {
  request_.args_.resize(arg_spans_.size());
  for (std::size_t i = 0; i < arg_spans_.size(); ++i) {
    request_.args_[i] = buf.substr(arg_spans_[i].first, arg_spans_[i].second);
  }
  request_.raw_ = request_.args_.empty() ? std::string_view() : buf.substr(0, pos_);
  consumed_ = pos_;
  start_next();
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
  request_.args_.resize(inline_spans_.size());
  std::string_view args(inline_args_);
  for (std::size_t i = 0; i < inline_spans_.size(); ++i) {
    std::string_view arg = args.substr(inline_spans_[i].first, inline_spans_[i].second);
    request_.args_[i] = arg;
    inline_raw_.push_back('$');
    append_number(inline_raw_, arg.size());
    inline_raw_.append("\r\n").append(arg).append("\r\n");
  }
  if (inline_raw_.size() > limits_.max_request_bytes) return fail_request_too_big();
  request_.raw_ = inline_raw_;
  request_.inline_ = true;
  consumed_ = consumed;
  start_next();
  return Step::kComplete;
}

RequestParser::Step RequestParser::fail(std::string_view message) {
  error_ = message;
  invalid_ = true;
  request_.args_.clear();
  request_.raw_ = {};
  return Step::kInvalid;
}

RequestParser::Step RequestParser::fail_request_too_big() {
  error_storage_.assign("request exceeds max_request_bytes (");
  append_number(error_storage_, limits_.max_request_bytes);
  error_storage_.append(" bytes); raise limits.max_request_bytes or send smaller values");
  return fail(error_storage_);
}

}  // namespace funnel::resp
