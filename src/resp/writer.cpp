// ReplyWriter: the replies Funnel answers itself (PING, HELLO, errors, local INFO ...), encoded
// byte for byte as redis-server 7.0 would in the client's protocol.
#include "resp/writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace funnel::resp {

void ReplyWriter::header(char type, std::int64_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out_.push_back(type);
  out_.append(digits, end);
  out_.append("\r\n");
}

void ReplyWriter::line_sanitized(char type, std::string_view text) {
  out_.push_back(type);
  std::size_t start = out_.size();
  out_.append(text);
  // Two memchr scans find the common case (nothing to replace) in a few instructions per 32
  // bytes; the byte loop cost ~5 per byte on every error reply (node-redis 6's handshake gets one).
  const bool clean = text.empty() || (std::memchr(text.data(), '\r', text.size()) == nullptr &&
                                      std::memchr(text.data(), '\n', text.size()) == nullptr);
  for (std::size_t i = start; !clean && i < out_.size(); ++i) {
    if (out_[i] == '\r' || out_[i] == '\n') out_[i] = ' ';
  }
  out_.append("\r\n");
}

void ReplyWriter::simple_string(std::string_view s) {
  line_sanitized('+', s);
}

void ReplyWriter::error(std::string_view message) {
  if (message.starts_with('-')) message.remove_prefix(1);
  line_sanitized('-', message);
}

void ReplyWriter::integer(std::int64_t n) {
  header(':', n);
}

void ReplyWriter::bulk(std::string_view s) {
  header('$', static_cast<std::int64_t>(s.size()));
  out_.append(s);
  out_.append("\r\n");
}

void ReplyWriter::null() {
  out_.append(protocol_ == Protocol::kResp3 ? "_\r\n" : "$-1\r\n");
}

void ReplyWriter::null_array() {
  out_.append(protocol_ == Protocol::kResp3 ? "_\r\n" : "*-1\r\n");
}

void ReplyWriter::array_header(std::size_t n) {
  header('*', static_cast<std::int64_t>(n));
}

void ReplyWriter::map_header(std::size_t pairs) {
  if (protocol_ == Protocol::kResp3) {
    header('%', static_cast<std::int64_t>(pairs));
  } else {
    header('*', static_cast<std::int64_t>(pairs * 2));
  }
}

void ReplyWriter::set_header(std::size_t n) {
  header(protocol_ == Protocol::kResp3 ? '~' : '*', static_cast<std::int64_t>(n));
}

void ReplyWriter::push_header(std::size_t n) {
  header(protocol_ == Protocol::kResp3 ? '>' : '*', static_cast<std::int64_t>(n));
}

void ReplyWriter::boolean(bool b) {
  if (protocol_ == Protocol::kResp3) {
    out_.append(b ? "#t\r\n" : "#f\r\n");
  } else {
    out_.append(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::double_value(double d) {
  char text[64];
  int len = 0;
  if (std::isinf(d)) {
    // Spelled out because libc spellings of infinity differ between systems (Redis does this).
    len = std::snprintf(text, sizeof text, "%s", d > 0 ? "inf" : "-inf");
  } else {
    len = std::snprintf(text, sizeof text, "%.17g", d);
  }
  std::string_view formatted(text, static_cast<std::size_t>(len));
  if (protocol_ == Protocol::kResp3) {
    out_.push_back(',');
    out_.append(formatted);
    out_.append("\r\n");
  } else {
    bulk(formatted);
  }
}

void ReplyWriter::verbatim(std::string_view format, std::string_view s) {
  if (protocol_ != Protocol::kResp3) {
    bulk(s);
    return;
  }
  if (format.size() != 3) format = "txt";
  header('=', static_cast<std::int64_t>(s.size() + 4));
  out_.append(format);
  out_.push_back(':');
  out_.append(s);
  out_.append("\r\n");
}

std::string error_reply(std::string_view message) {
  std::string reply;
  reply.reserve(message.size() + 3);
  ReplyWriter(reply, Protocol::kResp2).error(message);
  return reply;
}

}  // namespace funnel::resp
