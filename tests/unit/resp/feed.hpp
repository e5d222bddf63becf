// Test helpers for resp/: run a parser or framer over an input whole, split in two at a chosen
// offset, or one byte at a time, and capture the outcome as plain values to compare.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_framer.hpp"
#include "resp/request_parser.hpp"

namespace funnel::resp::testing {

struct RequestOutcome {
  ParseStatus status = ParseStatus::kNeedMore;
  std::size_t consumed = 0;
  std::vector<std::string> args;
  std::string raw;
  std::string error;
  bool is_inline = false;
  bool operator==(const RequestOutcome&) const = default;
};

inline RequestOutcome capture(const RequestParser& parser, ParseStatus status) {
  RequestOutcome out;
  out.status = status;
  if (status == ParseStatus::kComplete) {
    out.consumed = parser.consumed();
    for (std::string_view arg : parser.request().args()) out.args.emplace_back(arg);
    out.raw = std::string(parser.request().raw());
    out.is_inline = parser.request().is_inline();
  } else if (status == ParseStatus::kInvalid) {
    out.error = std::string(parser.error());
  }
  return out;
}

inline RequestOutcome parse_whole(std::string_view input, const ParseLimits& limits) {
  RequestParser parser(limits);
  std::string copy(input);
  return capture(parser, parser.parse(copy));
}

// The first call sees a copy of input[0, at) that dies before the second call, which sees the
// whole input elsewhere in memory: the parser must keep offsets, never pointers.
inline RequestOutcome parse_split(std::string_view input, std::size_t at,
                                  const ParseLimits& limits) {
  RequestParser parser(limits);
  {
    std::string head(input.substr(0, at));
    ParseStatus status = parser.parse(head);
    if (status != ParseStatus::kNeedMore) return capture(parser, status);
  }
  std::string whole(input);
  return capture(parser, parser.parse(whole));
}

inline RequestOutcome parse_bytewise(std::string_view input, const ParseLimits& limits) {
  RequestParser parser(limits);
  for (std::size_t n = 1; n <= input.size(); ++n) {
    std::string piece(input.substr(0, n));
    ParseStatus status = parser.parse(piece);
    if (status != ParseStatus::kNeedMore) return capture(parser, status);
  }
  return RequestOutcome{};
}

// Like parse_bytewise, but after every kNeedMore the position is suspended, the same parser
// parses another client's request (and an invalid one, leaving the parser invalid), and the
// first request is resumed: how ClientSession shares one parser between its clients.
inline RequestOutcome parse_bytewise_suspended(std::string_view input, const ParseLimits& limits) {
  RequestParser parser(limits);
  ParsePosition position;
  for (std::size_t n = 1; n <= input.size(); ++n) {
    std::string piece(input.substr(0, n));
    if (n > 1) parser.resume(position);
    ParseStatus status = parser.parse(piece);
    if (status != ParseStatus::kNeedMore) return capture(parser, status);
    parser.suspend(position);
    std::string other = n % 2 == 0 ? "*1\r\n$4\r\nPING\r\n" : "*x\r\n";
    parser.reset();
    if (parser.parse(other) == ParseStatus::kNeedMore) return RequestOutcome{};
  }
  return RequestOutcome{};
}

struct FrameOutcome {
  FrameStatus status = FrameStatus::kNeedMore;
  std::size_t length = 0;
  ReplyKind kind = ReplyKind::kNull;
  std::string error;
  bool operator==(const FrameOutcome&) const = default;
};

inline FrameOutcome capture(const ReplyFramer& framer, FrameStatus status) {
  FrameOutcome out;
  out.status = status;
  if (status == FrameStatus::kComplete) {
    out.length = framer.length();
    out.kind = framer.kind();
  } else if (status == FrameStatus::kInvalid) {
    out.error = std::string(framer.error());
  }
  return out;
}

inline FrameOutcome frame_whole(std::string_view input, const FramerLimits& limits) {
  ReplyFramer framer(limits);
  std::string copy(input);
  return capture(framer, framer.frame(copy));
}

inline FrameOutcome frame_split(std::string_view input, std::size_t at,
                                const FramerLimits& limits) {
  ReplyFramer framer(limits);
  {
    std::string head(input.substr(0, at));
    FrameStatus status = framer.frame(head);
    if (status != FrameStatus::kNeedMore) return capture(framer, status);
  }
  std::string whole(input);
  return capture(framer, framer.frame(whole));
}

inline FrameOutcome frame_bytewise(std::string_view input, const FramerLimits& limits) {
  ReplyFramer framer(limits);
  for (std::size_t n = 1; n <= input.size(); ++n) {
    std::string piece(input.substr(0, n));
    FrameStatus status = framer.frame(piece);
    if (status != FrameStatus::kNeedMore) return capture(framer, status);
  }
  return FrameOutcome{};
}

inline std::string status_name(ParseStatus s) {
  return s == ParseStatus::kComplete  ? "complete"
         : s == ParseStatus::kInvalid ? "invalid"
                                      : "need-more";
}

// Printers for gtest failure messages (found by ADL, so here beside the types).
inline std::ostream& operator<<(std::ostream& os, const RequestOutcome& o) {
  os << status_name(o.status) << " consumed=" << o.consumed << " error='" << o.error
     << "' inline=" << o.is_inline << " args=[";
  for (const auto& a : o.args) os << '\'' << a << "' ";
  return os << "] raw='" << o.raw << "'";
}

inline std::ostream& operator<<(std::ostream& os, const FrameOutcome& o) {
  return os << "status=" << static_cast<int>(o.status) << " length=" << o.length
            << " kind=" << static_cast<int>(o.kind) << " error='" << o.error << "'";
}

}  // namespace funnel::resp::testing
