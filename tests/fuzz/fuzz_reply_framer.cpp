// libFuzzer target for ReplyFramer and parse_value (tests/fuzz). Frames the input as a backend's
// reply stream, whole and split in two at a fuzzer-chosen byte, and checks that parse_value agrees
// with the framer on every reply (same status, same length, same type), the framer limited to
// parse_value's depth (kMaxValueDepth) for that check and unlimited (as on a link) otherwise.
// The split run also releases settled bytes of partial replies, as a link streaming them does.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_framer.hpp"
#include "resp/value.hpp"

namespace {

using funnel::resp::FramerLimits;
using funnel::resp::FrameStatus;
using funnel::resp::ReplyFramer;
using funnel::resp::ReplyKind;
using funnel::resp::Value;
using funnel::resp::ValueStatus;
using funnel::resp::ValueType;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  FrameStatus status;
  std::size_t length;
  ReplyKind kind;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

bool kinds_agree(ReplyKind kind, ValueType type) {
  switch (type) {
    case ValueType::kNull:
      return kind == ReplyKind::kNull || kind == ReplyKind::kBulk || kind == ReplyKind::kArray;
    case ValueType::kSimpleString:
      return kind == ReplyKind::kSimpleString;
    case ValueType::kError:
      return kind == ReplyKind::kError;
    case ValueType::kInteger:
      return kind == ReplyKind::kInteger;
    case ValueType::kBulk:
      return kind == ReplyKind::kBulk;
    case ValueType::kArray:
      return kind == ReplyKind::kArray;
    case ValueType::kMap:
      return kind == ReplyKind::kMap;
    case ValueType::kSet:
      return kind == ReplyKind::kSet;
    case ValueType::kDouble:
      return kind == ReplyKind::kDouble;
    case ValueType::kBoolean:
      return kind == ReplyKind::kBoolean;
    case ValueType::kBigNumber:
      return kind == ReplyKind::kBigNumber;
    case ValueType::kVerbatim:
      return kind == ReplyKind::kVerbatim;
    case ValueType::kPush:
      return kind == ReplyKind::kPush;
  }
  return false;
}

// parse_value on the same bytes must reach the framer's verdict.
void check_parse_value(std::string_view buf, FrameStatus status, const ReplyFramer& framer) {
  Value value;
  std::size_t consumed = 0;
  ValueStatus parsed = funnel::resp::parse_value(buf, value, consumed);
  if (status == FrameStatus::kComplete) {
    check(parsed == ValueStatus::kComplete);
    check(consumed == framer.length() && consumed <= buf.size());
    check(kinds_agree(framer.kind(), value.type));
  } else {
    check(parsed ==
          (status == FrameStatus::kInvalid ? ValueStatus::kInvalid : ValueStatus::kNeedMore));
  }
}

// Runs the framer over input in two reads. With `release`, the settled bytes of a partial reply
// are dropped after each read (the link's streaming path), and the lengths reported count the
// released bytes back in, so the outcomes compare with a run that releases nothing.
std::vector<Outcome> run_stream(std::string_view input, std::size_t split, bool with_values,
                                const FramerLimits& limits, bool release) {
  ReplyFramer framer(limits);
  std::vector<Outcome> outcomes;
  std::string buf;
  std::size_t released = 0;
  for (std::string_view read : {input.substr(0, split), input.substr(split)}) {
    buf.append(read);
    std::string moved(buf);
    buf.swap(moved);
    for (;;) {
      FrameStatus status = framer.frame(buf);
      if (with_values) check_parse_value(buf, status, framer);
      if (status == FrameStatus::kNeedMore) {
        if (release) {
          const std::size_t n = framer.releasable();
          check(n < buf.size() || buf.empty());
          buf.erase(0, n);
          framer.release_settled(n);
          released += n;
        }
        break;
      }
      if (status == FrameStatus::kInvalid) {
        outcomes.push_back(Outcome{status, 0, ReplyKind::kNull, std::string(framer.error())});
        return outcomes;
      }
      check(framer.length() > 0 && framer.length() <= buf.size());
      outcomes.push_back(Outcome{status, released + framer.length(), framer.kind(), {}});
      buf.erase(0, framer.length());
      released = 0;
    }
  }
  outcomes.push_back(Outcome{FrameStatus::kNeedMore, 0, ReplyKind::kNull, {}});
  return outcomes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::size_t split = (std::size_t{data[0]} << 8 | data[1]) % (input.size() + 1);
  FramerLimits value_depth;
  value_depth.max_depth = funnel::resp::kMaxValueDepth;
  check(run_stream(input, input.size(), true, value_depth, false) ==
        run_stream(input, split, false, value_depth, false));
  check(run_stream(input, input.size(), false, {}, false) ==
        run_stream(input, split, false, {}, true));
  std::string_view ignored = input;
  (void)funnel::resp::error_code_is(ignored, "MOVED");
  return 0;
}
