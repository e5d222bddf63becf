// libFuzzer target for RequestParser (tests/fuzz, run for a bounded time in CI). The input is fed
// as a client session would see it, whole, split in two at a fuzzer-chosen byte, and one byte at a
// time with the parser suspended and shared between reads (the state machine alone, against the
// whole-request fast path); all runs must produce the same requests. Also checks that inline
// requests re-encode losslessly.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "resp/request_parser.hpp"

namespace {

using funnel::resp::ParseLimits;
using funnel::resp::ParseStatus;
using funnel::resp::RequestParser;

struct Outcome {
  ParseStatus status;
  std::size_t consumed;
  std::vector<std::string> args;
  std::string raw;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

void check(bool ok) {
  if (!ok) std::abort();
}

// A re-encoded inline request must parse back, as multibulk, to the same arguments.
void check_reencoded(const RequestParser& parser) {
  RequestParser again;
  std::string raw(parser.request().raw());
  check(again.parse(raw) == ParseStatus::kComplete);
  check(again.consumed() == raw.size());
  check(std::ranges::equal(again.request().args(), parser.request().args()));
}

Outcome capture(const RequestParser& parser, ParseStatus status, std::string_view buf) {
  Outcome out{status, 0, {}, {}, {}};
  if (status == ParseStatus::kInvalid) {
    out.error = std::string(parser.error());
    return out;
  }
  out.consumed = parser.consumed();
  check(out.consumed > 0 && out.consumed <= buf.size());
  const auto& request = parser.request();
  for (std::string_view arg : request.args()) out.args.emplace_back(arg);
  out.raw = std::string(request.raw());
  check(request.is_empty() == out.raw.empty());
  if (!request.is_inline()) check(request.is_empty() || out.raw == buf.substr(0, out.consumed));
  if (request.is_inline() && !request.is_empty()) check_reencoded(parser);
  return out;
}

// Bytes arrive in the given reads; every complete request is consumed and the buffer compacted,
// as ClientSession does. With `shared`, the parser is also shared as a worker shares it: between
// reads a partial request is suspended, the parser serves another client, and it is resumed.
std::vector<Outcome> run_reads(const std::vector<std::string_view>& reads,
                               const ParseLimits& limits, bool shared = false) {
  RequestParser parser(limits);
  std::vector<Outcome> outcomes;
  std::string buf;
  funnel::resp::ParsePosition position;
  bool suspended = false;
  for (std::string_view read : reads) {
    buf.append(read);
    std::string moved(buf);  // the buffer may move between reads
    buf.swap(moved);
    if (suspended) parser.resume(position);
    suspended = false;
    for (;;) {
      parser.prepare();
      ParseStatus status = parser.parse(buf);
      if (status == ParseStatus::kNeedMore) {
        if (shared) {
          parser.suspend(position);
          suspended = true;
          std::string other = buf.size() % 2 == 0 ? "*1\r\n$4\r\nPING\r\n" : "*x\r\n";
          parser.prepare();
          parser.parse(other);
        }
        break;
      }
      outcomes.push_back(capture(parser, status, buf));
      if (status == ParseStatus::kInvalid) return outcomes;
      buf.erase(0, parser.consumed());
    }
  }
  outcomes.push_back(Outcome{ParseStatus::kNeedMore, 0, {}, {}, {}});
  return outcomes;
}

// Two reads, split at `split`.
std::vector<Outcome> run_session(std::string_view input, std::size_t split,
                                 const ParseLimits& limits) {
  return run_reads({input.substr(0, split), input.substr(split)}, limits);
}

// One byte per read: only the resumable state machine parses, never the whole-request fast path
// (which needs a whole request in one buffer), so this compares the two.
std::vector<Outcome> run_bytewise(std::string_view input, const ParseLimits& limits) {
  std::vector<std::string_view> reads;
  for (std::size_t i = 0; i < input.size(); ++i) reads.push_back(input.substr(i, 1));
  return run_reads(reads, limits, true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::size_t split = (std::size_t{data[0]} << 8 | data[1]) % (input.size() + 1);
  // Small limits reach every limit path; max_inline_bytes stays at its default because, as in
  // Redis, its "too big" errors depend on how the bytes arrive.
  ParseLimits limits;
  limits.max_args = 8;
  limits.max_bulk_bytes = 64;
  limits.max_request_bytes = 160;
  const std::vector<Outcome> whole = run_session(input, input.size(), limits);
  check(whole == run_session(input, split, limits));
  constexpr std::size_t kBytewiseMax = 1024;  // quadratic copying: keep fuzzing fast
  if (input.size() <= kBytewiseMax) check(whole == run_bytewise(input, limits));
  // Tiny limits everywhere: only the invariants checked in capture() apply.
  ParseLimits tiny{
      .max_args = 2, .max_bulk_bytes = 4, .max_inline_bytes = 8, .max_request_bytes = 24};
  run_session(input, split, tiny);
  return 0;
}
