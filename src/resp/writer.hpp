// Encodes replies Funnel answers itself, in the client's protocol (RESP2 or RESP3), byte for byte
// as redis-server would. Appends to a caller-owned buffer; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace funnel::resp {

enum class Protocol : std::uint8_t { kResp2 = 2, kResp3 = 3 };

class ReplyWriter {
 public:
  ReplyWriter(std::string& out, Protocol protocol) : out_(out), protocol_(protocol) {}

  Protocol protocol() const { return protocol_; }
  // simple_string and error replace any \r or \n in their text with a space, as Redis does for
  // error texts, so a reply can never break the framing. error() drops one leading '-'.
  void simple_string(std::string_view s);  // +s
  void error(std::string_view message);    // -message (message includes the code)
  void integer(std::int64_t n);            // :n
  void bulk(std::string_view s);           // $len s
  void null();                             // $-1 (RESP2) / _ (RESP3)
  void null_array();                       // *-1 (RESP2) / _ (RESP3)
  void array_header(std::size_t n);        // *n
  void map_header(std::size_t pairs);      // %n (RESP3) / *2n (RESP2)
  void set_header(std::size_t n);          // ~n (RESP3) / *n (RESP2)
  void push_header(std::size_t n);         // >n (RESP3) / *n (RESP2), e.g. pub/sub
  void boolean(bool b);                    // #t/#f (RESP3) / :1/:0 (RESP2)
  // Redis 7.0's addReplyDouble: "%.17g", and "inf"/"-inf" spelled out.
  void double_value(double d);  // ,d (RESP3) / bulk (RESP2), Redis's format
  // format is 3 characters ("txt", "mkd"); any other length is sent as "txt".
  void verbatim(std::string_view format, std::string_view s);  // =len fmt:s (RESP3) / bulk
  void ok() { simple_string("OK"); }

 private:
  void header(char type, std::int64_t n);
  void line_sanitized(char type, std::string_view text);
  std::string& out_;
  Protocol protocol_;
};

// One error reply ("-message\r\n"; the same in RESP2 and RESP3), with ReplyWriter::error's rules.
std::string error_reply(std::string_view message);

}  // namespace funnel::resp
