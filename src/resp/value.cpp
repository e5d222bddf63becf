// parse_value: the full tree parse, off the hot path (handshakes, COMMAND, INFO, redirects,
// fan-out merges). The framer validates and measures first; the tree is then built from bytes
// known to be well-formed, so parse_value and ReplyFramer always agree.
#include "resp/value.hpp"

#include <algorithm>

#include "resp/numbers.hpp"
#include "resp/reply_framer.hpp"

namespace funnel::resp {
namespace {

constexpr std::size_t kCrlf = 2;

// Recursive descent over one framed reply; depth is bounded by the framer's max_depth
// (kMaxValueDepth), checked before the first byte is read here.
// Every method returns false if the bytes disagree with what the framer accepted (a bug).
class TreeBuilder {
 public:
  explicit TreeBuilder(std::string_view buf) : buf_(buf) {}

  bool read(Value& out);
  std::size_t pos() const { return pos_; }

 private:
  bool read_line(char& type, std::string_view& line);
  bool read_payload(std::size_t len, std::string_view& payload);
  bool read_scalar(char type, std::string_view line, Value& out);
  bool read_blob(char type, std::string_view line, Value& out);
  bool read_chunks(Value& out);
  bool read_aggregate(char type, std::string_view line, Value& out);
  bool read_streamed(Value& out);
  bool read_attribute(std::string_view line, Value& out);
  bool at_stream_end() const { return pos_ < buf_.size() && buf_[pos_] == '.'; }

  std::string_view buf_;
  std::size_t pos_ = 0;
};

bool TreeBuilder::read_line(char& type, std::string_view& line) {
  if (pos_ >= buf_.size()) return false;
  std::size_t cr = buf_.find('\r', pos_ + 1);
  if (cr == std::string_view::npos) return false;
  type = buf_[pos_];
  line = buf_.substr(pos_ + 1, cr - pos_ - 1);
  pos_ = cr + kCrlf;
  return true;
}

bool TreeBuilder::read_payload(std::size_t len, std::string_view& payload) {
  if (buf_.size() - pos_ < len + kCrlf) return false;
  payload = buf_.substr(pos_, len);
  pos_ += len + kCrlf;
  return true;
}

bool TreeBuilder::read(Value& out) {
  char type = 0;
  std::string_view line;
  if (!read_line(type, line)) return false;
  switch (type) {
    case '|':
      return read_attribute(line, out);
    case '$':
    case '=':
    case '!':
      return read_blob(type, line, out);
    case '*':
    case '%':
    case '~':
    case '>':
      return read_aggregate(type, line, out);
    default:
      return read_scalar(type, line, out);
  }
}

bool TreeBuilder::read_scalar(char type, std::string_view line, Value& out) {
  switch (type) {
    case '+':
      out.type = ValueType::kSimpleString;
      break;
    case '-':
      out.type = ValueType::kError;
      break;
    case '(':
      out.type = ValueType::kBigNumber;
      break;
    case '_':
      out.type = ValueType::kNull;
      return true;
    case ':':
      out.type = ValueType::kInteger;
      return detail::parse_reply_int(line, out.integer);
    case '#':
      out.type = ValueType::kBoolean;
      out.integer = line == "t" ? 1 : 0;
      return true;
    case ',':
      out.type = ValueType::kDouble;
      out.str.assign(line);
      return detail::parse_reply_double(line, out.number);
    default:
      return false;
  }
  out.str.assign(line);
  return true;
}

bool TreeBuilder::read_blob(char type, std::string_view line, Value& out) {
  if (type == '$' && line == "?") return read_chunks(out);
  std::int64_t len = 0;
  if (!detail::parse_reply_int(line, len)) return false;
  if (len == -1 && type == '$') {
    out.type = ValueType::kNull;
    return true;
  }
  std::string_view payload;
  if (len < 0 || !read_payload(static_cast<std::size_t>(len), payload)) return false;
  out.type = type == '$'   ? ValueType::kBulk
             : type == '!' ? ValueType::kError
                           : ValueType::kVerbatim;
  if (type == '=') {
    if (payload.size() < 4) return false;
    out.format.assign(payload.substr(0, 3));
    payload.remove_prefix(4);
  }
  out.str.assign(payload);
  return true;
}

bool TreeBuilder::read_chunks(Value& out) {
  out.type = ValueType::kBulk;
  for (;;) {
    char type = 0;
    std::string_view line;
    std::int64_t len = 0;
    if (!read_line(type, line) || type != ';' || !detail::parse_reply_int(line, len) || len < 0) {
      return false;
    }
    if (len == 0) return true;
    std::string_view chunk;
    if (!read_payload(static_cast<std::size_t>(len), chunk)) return false;
    out.str.append(chunk);
  }
}

bool TreeBuilder::read_aggregate(char type, std::string_view line, Value& out) {
  out.type = type == '*'   ? ValueType::kArray
             : type == '%' ? ValueType::kMap
             : type == '~' ? ValueType::kSet
                           : ValueType::kPush;
  if (line == "?" && type != '>') return read_streamed(out);
  std::int64_t count = 0;
  if (!detail::parse_reply_int(line, count)) return false;
  if (count == -1 && type == '*') {
    out.type = ValueType::kNull;
    return true;
  }
  if (count < 0) return false;
  std::size_t elements = static_cast<std::size_t>(count) * (type == '%' ? 2 : 1);
  // Never trust a count for memory: every element takes at least 3 bytes.
  out.elems.reserve(std::min(elements, (buf_.size() - pos_) / 3));
  for (std::size_t i = 0; i < elements; ++i) {
    if (!read(out.elems.emplace_back())) return false;
  }
  return true;
}

bool TreeBuilder::read_streamed(Value& out) {
  while (!at_stream_end()) {
    if (pos_ >= buf_.size() || !read(out.elems.emplace_back())) return false;
  }
  char type = 0;
  std::string_view line;
  return read_line(type, line) && line.empty();
}

bool TreeBuilder::read_attribute(std::string_view line, Value& out) {
  std::int64_t pairs = 0;
  if (!detail::parse_reply_int(line, pairs) || pairs < 0) return false;
  std::vector<Value> attributes;
  attributes.reserve(std::min(static_cast<std::size_t>(pairs) * 2, (buf_.size() - pos_) / 3));
  for (std::int64_t i = 0; i < pairs * 2; ++i) {
    if (!read(attributes.emplace_back())) return false;
  }
  if (at_stream_end() || !read(out)) return false;
  // An attribute annotating an attribute-annotated value: keep the outer pairs first.
  out.attributes.insert(out.attributes.begin(), std::make_move_iterator(attributes.begin()),
                        std::make_move_iterator(attributes.end()));
  return true;
}

}  // namespace

const Value* Value::find(std::string_view key) const {
  if (type != ValueType::kMap && type != ValueType::kArray) return nullptr;
  for (std::size_t i = 0; i + 1 < elems.size(); i += 2) {
    if (elems[i].as_string() == key) return &elems[i + 1];
  }
  return nullptr;
}

std::optional<std::string_view> Value::as_string() const {
  switch (type) {
    case ValueType::kSimpleString:
    case ValueType::kError:
    case ValueType::kBulk:
    case ValueType::kBigNumber:
    case ValueType::kVerbatim:
      return std::string_view(str);
    default:
      return std::nullopt;
  }
}

ValueStatus parse_value(std::string_view buf, Value& out, std::size_t& consumed) {
  FramerLimits limits;
  limits.max_depth = kMaxValueDepth;
  ReplyFramer framer(limits);
  switch (framer.frame(buf)) {
    case FrameStatus::kNeedMore:
      return ValueStatus::kNeedMore;
    case FrameStatus::kInvalid:
      return ValueStatus::kInvalid;
    case FrameStatus::kComplete:
      break;
  }
  out = Value{};
  TreeBuilder builder(buf.substr(0, framer.length()));
  if (!builder.read(out) || builder.pos() != framer.length()) return ValueStatus::kInvalid;
  consumed = framer.length();
  return ValueStatus::kComplete;
}

}  // namespace funnel::resp
