// Splits inline commands ("SET a 'b c'\r\n", as typed into telnet) the way Redis's sdssplitargs
// does, so an inline request means the same to Funnel as it would to redis-server.
#include "resp/request_parser.hpp"

namespace funnel::resp {
namespace {

// isspace() in the C locale, which is what sdssplitargs uses between arguments.
bool is_c_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

// Walks the line like the C loop in sds.c, reading '\0' past the end as the C string would.
class ArgSplitter {
 public:
  ArgSplitter(std::string_view line, std::string& out) : line_(line), out_(out) {}

  // Skips blanks; false at the end of the line.
  bool next_token_start() {
    while (at(p_) != '\0' && is_c_space(at(p_))) ++p_;
    return at(p_) != '\0';
  }

  // Appends one unescaped argument to out_; false on unbalanced quotes.
  bool read_token() {
    Mode mode = Mode::kPlain;
    for (;;) {
      Step step = mode == Mode::kPlain    ? plain_step(mode)
                  : mode == Mode::kDouble ? double_quoted_step()
                                          : single_quoted_step();
      if (step == Step::kError) return false;
      if (at(p_) != '\0') ++p_;
      if (step == Step::kDone) return true;
    }
  }

 private:
  enum class Mode : std::uint8_t { kPlain, kDouble, kSingle };
  enum class Step : std::uint8_t { kMore, kDone, kError };

  char at(std::size_t i) const { return i < line_.size() ? line_[i] : '\0'; }

  // A closing quote must end the argument: a blank or the end of the line follows it.
  Step close_quote() const {
    char next = at(p_ + 1);
    return next != '\0' && !is_c_space(next) ? Step::kError : Step::kDone;
  }

  Step plain_step(Mode& mode) {
    char c = at(p_);
    switch (c) {
      case ' ':
      case '\n':
      case '\r':
      case '\t':
      case '\0':
        return Step::kDone;
      case '"':
        mode = Mode::kDouble;
        break;
      case '\'':
        mode = Mode::kSingle;
        break;
      default:
        out_.push_back(c);
        break;
    }
    return Step::kMore;
  }

  Step double_quoted_step() {
    char c = at(p_);
    if (c == '\\' && at(p_ + 1) == 'x' && hex_value(at(p_ + 2)) >= 0 &&
        hex_value(at(p_ + 3)) >= 0) {
      out_.push_back(static_cast<char>(hex_value(at(p_ + 2)) * 16 + hex_value(at(p_ + 3))));
      p_ += 3;
      return Step::kMore;
    }
    if (c == '\\' && at(p_ + 1) != '\0') {
      ++p_;
      out_.push_back(unescape(at(p_)));
      return Step::kMore;
    }
    if (c == '"') return close_quote();
    if (c == '\0') return Step::kError;
    out_.push_back(c);
    return Step::kMore;
  }

  Step single_quoted_step() {
    char c = at(p_);
    if (c == '\\' && at(p_ + 1) == '\'') {
      ++p_;
      out_.push_back('\'');
      return Step::kMore;
    }
    if (c == '\'') return close_quote();
    if (c == '\0') return Step::kError;
    out_.push_back(c);
    return Step::kMore;
  }

  std::string_view line_;
  std::string& out_;
  std::size_t p_ = 0;
};

}  // namespace

bool split_inline_args(std::string_view line, std::string& out_bytes,
                       std::vector<std::pair<std::uint32_t, std::uint32_t>>& spans) {
  const std::size_t bytes_before = out_bytes.size();
  const std::size_t spans_before = spans.size();
  ArgSplitter splitter(line, out_bytes);
  while (splitter.next_token_start()) {
    std::size_t start = out_bytes.size();
    if (!splitter.read_token()) {
      out_bytes.resize(bytes_before);
      spans.resize(spans_before);
      return false;
    }
    spans.emplace_back(static_cast<std::uint32_t>(start),
                       static_cast<std::uint32_t>(out_bytes.size() - start));
  }
  return true;
}

}  // namespace funnel::resp
