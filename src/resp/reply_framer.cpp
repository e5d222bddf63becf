// ReplyFramer: on the reply side, finds where each backend reply ends so its bytes can be moved
// to the right client slot without being parsed. Resumable: it never rescans what it has framed.
#include "resp/reply_framer.hpp"

#include <algorithm>
#include <cstring>

#include "resp/numbers.hpp"

namespace funnel::resp {
namespace {

constexpr std::size_t kCrlf = 2;

bool is_type_byte(char c) {
  return std::strchr("+-:$*_,#(=%~|>!.", c) != nullptr && c != '\0';
}

ReplyKind kind_of(char type) {
  switch (type) {
    case '+':
      return ReplyKind::kSimpleString;
    case '-':
    case '!':
      return ReplyKind::kError;
    case ':':
      return ReplyKind::kInteger;
    case '$':
      return ReplyKind::kBulk;
    case '*':
      return ReplyKind::kArray;
    case ',':
      return ReplyKind::kDouble;
    case '#':
      return ReplyKind::kBoolean;
    case '(':
      return ReplyKind::kBigNumber;
    case '=':
      return ReplyKind::kVerbatim;
    case '%':
      return ReplyKind::kMap;
    case '~':
      return ReplyKind::kSet;
    case '>':
      return ReplyKind::kPush;
    default:
      return ReplyKind::kNull;
  }
}

// The checks parse_value relies on to convert a line; the framer applies them so that a framed
// reply always parses.
bool is_valid_line(char type, std::string_view line) {
  std::int64_t integer = 0;
  double number = 0;
  switch (type) {
    case ':':
      return detail::parse_reply_int(line, integer);
    case ',':
      return detail::parse_reply_double(line, number);
    case '#':
      return line == "t" || line == "f";
    case '(':
      return detail::is_big_number(line);
    case '_':
      return line.empty();
    default:
      return true;  // + and -: any text up to the CRLF
  }
}

// frame_whole_simple()'s line rule: the end (after its CRLF) of a line of at most kShortLine
// bytes that starts at buf[0], or 0 when it is longer, not whole, or its '\r' is not followed by
// '\n'. Status and integer replies are short; a byte loop finds their end without a call into
// memchr, and the rare long line goes to the state machine.
constexpr std::size_t kShortLine = 32;
std::size_t whole_short_line_end(std::string_view buf) {
  const std::size_t n = std::min(buf.size(), kShortLine);
  for (std::size_t cr = 1; cr + 1 < n; ++cr) {
    if (buf[cr] == '\r') return buf[cr + 1] == '\n' ? cr + kCrlf : 0;
  }
  return 0;
}

// An integer line parse_reply_int surely accepts: an optional '-' and 1 to 18 digits (no
// overflow). Anything else (a '+', more digits) is left to the state machine's exact check.
bool is_plain_integer(std::string_view line) {
  if (!line.empty() && line[0] == '-') line.remove_prefix(1);
  if (line.empty() || line.size() > 18) return false;
  for (char c : line) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// frame_whole_simple()'s bulk rule: the end of a whole "$<len>\r\n<payload>\r\n" with a plain
// length, or of the null bulk "$-1\r\n"; 0 otherwise.
std::size_t whole_bulk_end(std::string_view buf) {
  constexpr std::string_view kNullBulk = "$-1\r\n";
  if (buf.size() > 1 && buf[1] == '-') return buf.starts_with(kNullBulk) ? kNullBulk.size() : 0;
  constexpr std::size_t kMaxDigits = 18;  // < 10^18: cannot overflow
  std::size_t i = 1;
  std::uint64_t len = 0;
  while (i < buf.size() && i <= kMaxDigits && buf[i] >= '0' && buf[i] <= '9') {
    len = len * 10 + static_cast<std::uint64_t>(buf[i] - '0');
    ++i;
  }
  if (i == 1 || i + 1 >= buf.size() || buf[i] != '\r' || buf[i + 1] != '\n') return 0;
  const std::size_t payload = i + kCrlf;
  if (len > buf.size() - payload || buf.size() - payload - len < kCrlf) return 0;
  const std::size_t end = payload + static_cast<std::size_t>(len);
  return buf[end] == '\r' && buf[end + 1] == '\n' ? end + kCrlf : 0;
}

}  // namespace

FrameStatus ReplyFramer::frame_resumable(std::string_view buf) {
  if (invalid_) return FrameStatus::kInvalid;
  Step step = Step::kContinue;
  while (step == Step::kContinue) {
    switch (state_) {
      case State::kValue:
        step = on_value(buf);
        break;
      case State::kPayload:
        step = on_payload(buf);
        break;
      case State::kChunkHeader:
        step = on_chunk_header(buf);
        break;
    }
  }
  if (step == Step::kComplete) return FrameStatus::kComplete;
  return step == Step::kInvalid ? FrameStatus::kInvalid : FrameStatus::kNeedMore;
}

// The replies nearly every request gets, whole in `buf`: a short status (+OK), error or integer,
// or a bulk string with a plain length (or the null bulk). One pass, no state changes unless it
// succeeds; anything else (partial, aggregate, RESP3, odd spelling, a limit) goes to the state
// machine, which gives the same answer on every input this accepts.
bool ReplyFramer::frame_whole_simple(std::string_view buf) {
  if (buf.empty()) return false;
  const char type = buf[0];
  std::size_t end = 0;
  if (type == '$') {
    end = whole_bulk_end(buf);
  } else if (type == '+' || type == '-' || type == ':') {
    end = whole_short_line_end(buf);
    if (type == ':' && end != 0 && !is_plain_integer(buf.substr(1, end - 1 - kCrlf))) return false;
  }
  if (end == 0 || end > limits_.max_reply_bytes) return false;
  length_ = end;
  kind_ = kind_of(type);
  scan_ = 0;  // as value_done() leaves it, whatever an earlier partial attempt had scanned
  return true;
}

void ReplyFramer::restart() {
  error_ = {};
  state_ = State::kValue;
  pos_ = 0;
  payload_len_ = 0;
  payload_type_ = '$';
  pending_.clear();
  kind_known_ = false;
  expect_annotated_ = false;
  invalid_ = false;
}

std::size_t ReplyFramer::find_line_end(std::string_view buf, Step& step) {
  std::size_t from = std::max(scan_, pos_ + 1);  // pos_ holds the type byte
  const void* hit =
      from < buf.size() ? std::memchr(buf.data() + from, '\r', buf.size() - from) : nullptr;
  if (hit == nullptr) {
    scan_ = std::max(from, buf.size());
    step = buf.size() > limits_.max_reply_bytes ? fail("reply exceeds max_reply_bytes")
                                                : Step::kNeedMore;
    return detail::kNotFound;
  }
  std::size_t cr = static_cast<std::size_t>(static_cast<const char*>(hit) - buf.data());
  scan_ = cr;
  if (cr + 1 >= buf.size()) {
    step = Step::kNeedMore;
  } else if (buf[cr + 1] != '\n') {
    step = fail("expected CRLF at the end of a line");
  } else if (cr + kCrlf > limits_.max_reply_bytes) {
    step = fail("reply exceeds max_reply_bytes");
  } else {
    return cr;
  }
  return detail::kNotFound;
}

ReplyFramer::Step ReplyFramer::on_value(std::string_view buf) {
  if (pos_ >= buf.size()) return Step::kNeedMore;
  char type = buf[pos_];
  if (!is_type_byte(type)) return fail("unknown reply type byte");
  Step step = Step::kNeedMore;
  std::size_t cr = find_line_end(buf, step);
  if (cr == detail::kNotFound) return step;
  std::string_view line = buf.substr(pos_ + 1, cr - pos_ - 1);
  pos_ = scan_ = cr + kCrlf;
  if (type == '.') return on_stream_end(line);
  expect_annotated_ = false;
  if (!kind_known_ && pending_.empty() && type != '|') {
    kind_ = kind_of(type);
    kind_known_ = true;
  }
  switch (type) {
    case '$':
    case '=':
    case '!':
      return on_blob_header(type, line);
    case '*':
    case '%':
    case '~':
    case '>':
    case '|':
      return on_aggregate_header(type, line);
    default:
      return on_line(type, line);
  }
}

ReplyFramer::Step ReplyFramer::on_line(char type, std::string_view line) {
  if (!is_valid_line(type, line)) return fail("invalid value in a reply line");
  return value_done();
}

ReplyFramer::Step ReplyFramer::on_blob_header(char type, std::string_view line) {
  if (type == '$' && line == "?") {
    state_ = State::kChunkHeader;
    return Step::kContinue;
  }
  std::int64_t len = 0;
  if (!detail::parse_reply_int(line, len)) return fail("invalid bulk length");
  if (len == -1 && type == '$') return value_done();
  if (len < 0) return fail("invalid bulk length");
  if (static_cast<std::uint64_t>(len) > limits_.max_reply_bytes ||
      pos_ + static_cast<std::size_t>(len) + kCrlf > limits_.max_reply_bytes) {
    return fail("reply exceeds max_reply_bytes");
  }
  payload_len_ = len;
  payload_type_ = type;
  state_ = State::kPayload;
  return Step::kContinue;
}

ReplyFramer::Step ReplyFramer::on_payload(std::string_view buf) {
  std::size_t end = pos_ + static_cast<std::size_t>(payload_len_);
  if (buf.size() < end + kCrlf) {
    // The payload bytes that arrived are settled: step past them, so that a caller streaming a
    // large reply can release them (settled()). A verbatim string's format prefix is checked
    // once it is whole, so it waits for its whole payload (and error payloads are never
    // streamed).
    if ((payload_type_ == '$' || payload_type_ == ';') && buf.size() > pos_) {
      const std::size_t arrived = std::min(buf.size(), end) - pos_;
      pos_ += arrived;
      payload_len_ -= static_cast<std::int64_t>(arrived);
    }
    return Step::kNeedMore;
  }
  // A payload must end with CRLF; anything else means we lost the reply boundaries.
  if (buf[end] != '\r' || buf[end + 1] != '\n') return fail("expected CRLF after a payload");
  if (payload_type_ == '=' && (payload_len_ < 4 || buf[pos_ + 3] != ':')) {
    return fail("invalid verbatim string");
  }
  pos_ = scan_ = end + kCrlf;
  if (payload_type_ == ';') {
    state_ = State::kChunkHeader;
    return Step::kContinue;
  }
  state_ = State::kValue;
  return value_done();
}

ReplyFramer::Step ReplyFramer::on_chunk_header(std::string_view buf) {
  if (pos_ >= buf.size()) return Step::kNeedMore;
  if (buf[pos_] != ';') return fail("expected ';' in a streamed string");
  Step step = Step::kNeedMore;
  std::size_t cr = find_line_end(buf, step);
  if (cr == detail::kNotFound) return step;
  std::int64_t len = 0;
  if (!detail::parse_reply_int(buf.substr(pos_ + 1, cr - pos_ - 1), len) || len < 0) {
    return fail("invalid streamed string chunk length");
  }
  pos_ = scan_ = cr + kCrlf;
  if (len == 0) {
    state_ = State::kValue;
    return value_done();
  }
  if (static_cast<std::uint64_t>(len) > limits_.max_reply_bytes ||
      pos_ + static_cast<std::size_t>(len) + kCrlf > limits_.max_reply_bytes) {
    return fail("reply exceeds max_reply_bytes");
  }
  payload_len_ = len;
  payload_type_ = ';';
  state_ = State::kPayload;
  return Step::kContinue;
}

ReplyFramer::Step ReplyFramer::on_aggregate_header(char type, std::string_view line) {
  bool streamable = type == '*' || type == '%' || type == '~';
  if (streamable && line == "?") return open_aggregate(-1, false);
  std::int64_t count = 0;
  if (!detail::parse_reply_int(line, count)) return fail("invalid aggregate length");
  if (count == -1 && type == '*') return value_done();
  if (count < 0) return fail("invalid aggregate length");
  // Every element takes at least 3 bytes ("_\r\n"), so this bound is never too tight.
  if (static_cast<std::uint64_t>(count) > limits_.max_reply_bytes / 3) {
    return fail("reply exceeds max_reply_bytes");
  }
  bool pairs = type == '%' || type == '|';
  return open_aggregate(pairs ? count * 2 : count, type == '|');
}

ReplyFramer::Step ReplyFramer::open_aggregate(std::int64_t elements, bool is_attribute) {
  if (elements == 0) {
    if (!is_attribute) return value_done();
    expect_annotated_ = true;
    return Step::kContinue;
  }
  if (pending_.size() >= limits_.max_depth) return fail("reply nested deeper than max_depth");
  pending_.push_back(Open{elements, is_attribute});
  return Step::kContinue;
}

ReplyFramer::Step ReplyFramer::on_stream_end(std::string_view line) {
  if (!line.empty() || expect_annotated_ || pending_.empty() || pending_.back().remaining >= 0) {
    return fail("unexpected end of a streamed aggregate");
  }
  pending_.pop_back();
  return value_done();
}

ReplyFramer::Step ReplyFramer::value_done() {
  while (!pending_.empty()) {
    Open& top = pending_.back();
    if (top.remaining < 0 || --top.remaining > 0) return Step::kContinue;
    bool attribute = top.is_attribute;
    pending_.pop_back();
    if (attribute) {
      expect_annotated_ = true;
      return Step::kContinue;
    }
  }
  length_ = pos_;
  pos_ = scan_ = 0;
  state_ = State::kValue;
  kind_known_ = false;
  return Step::kComplete;
}

void ReplyFramer::release_settled(std::size_t n) {
  n = std::min(n, releasable());
  pos_ -= n;
  scan_ = scan_ > n ? scan_ - n : 0;
}

ReplyFramer::Step ReplyFramer::fail(std::string_view message) {
  error_ = message;
  invalid_ = true;
  return Step::kInvalid;
}

bool error_code_is(std::string_view reply, std::string_view code) {
  std::string_view text;
  if (reply.starts_with('-')) {
    text = reply.substr(1);
  } else if (reply.starts_with('!')) {
    std::size_t header_end = reply.find("\r\n");
    if (header_end == std::string_view::npos) return false;
    text = reply.substr(header_end + kCrlf);
  } else {
    return false;
  }
  std::string_view word = text.substr(0, text.find_first_of(" \r\n"));
  return !code.empty() && word == code;
}

}  // namespace funnel::resp
