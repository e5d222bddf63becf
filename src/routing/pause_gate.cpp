// PauseGate and the rules of what CLIENT PAUSE WRITE postpones (see pause_gate.hpp).
#include "routing/pause_gate.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "command/ascii.hpp"
#include "command/command_table.hpp"

namespace funnel::routing {
namespace {

constexpr std::uint64_t kModeMask = 3;

std::uint64_t pack(PauseMode mode, common::Millis end_ms) {
  return static_cast<std::uint64_t>(end_ms) << 2 | static_cast<std::uint64_t>(mode);
}
PauseMode mode_of(std::uint64_t word) {
  return static_cast<PauseMode>(word & kModeMask);
}
common::Millis end_of(std::uint64_t word) {
  return static_cast<common::Millis>(word >> 2);
}

// Redis 7.0's may-replicate commands (not in COMMAND's flags, so not in the table's rows).
bool may_replicate(std::string_view name) {
  return name == "eval" || name == "evalsha" || name == "fcall" || name == "publish" ||
         name == "spublish" || name == "pfcount";
}

// EVAL's script declares itself read-only: "#!lua flags=no-writes[,...]" on its first line.
bool shebang_says_no_writes(std::string_view script) {
  if (!script.starts_with("#!")) return false;
  const std::string_view line = script.substr(0, script.find('\n'));
  const std::size_t at = line.find(" flags=");
  if (at == std::string_view::npos) return false;
  std::string_view flags = line.substr(at + 7);
  flags = flags.substr(0, flags.find(' '));
  while (!flags.empty()) {
    const std::size_t comma = flags.find(',');
    if (flags.substr(0, comma) == "no-writes") return true;
    if (comma == std::string_view::npos) break;
    flags.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::optional<PauseRequest> parse_pause(const resp::Request& request) {
  if (request.argc() != 3 && request.argc() != 4) return std::nullopt;
  PauseRequest out;
  if (request.argc() == 4) {
    if (command::iequals(request.arg(3), "write")) {
      out.mode = PauseMode::kWrite;
    } else if (!command::iequals(request.arg(3), "all")) {
      return std::nullopt;
    }
  }
  const std::string_view ms = request.arg(2);
  const auto [end, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), out.timeout_ms);
  if (ec != std::errc() || end != ms.data() + ms.size() || out.timeout_ms < 0) return std::nullopt;
  // Beyond this the end time would not fit the gate's word; Redis pauses "forever" then too.
  out.timeout_ms = std::min<common::Millis>(out.timeout_ms, common::Millis{1} << 60);
  return out;
}

bool paused_by_write_pause(const command::Classification& cls, const resp::Request& request) {
  if (cls.spec == nullptr) return false;
  if (cls.spec->has(command::Flag::kWrite)) return true;
  if (!may_replicate(cls.spec->name)) return false;
  return !(cls.spec->name == "eval" && request.argc() > 1 &&
           shebang_says_no_writes(request.arg(1)));
}

void PauseGate::pause(PauseRequest request, common::Millis now) {
  const common::Millis end = now + request.timeout_ms;
  std::uint64_t old = word_.load(std::memory_order_relaxed);
  for (;;) {
    PauseMode mode = request.mode;
    common::Millis until = end;
    if (mode_at_word(old, now) != PauseMode::kOff) {  // as Redis: the max of both
      mode = std::max(mode, mode_of(old));
      until = std::max(until, end_of(old));
    }
    if (word_.compare_exchange_weak(old, pack(mode, until), std::memory_order_relaxed)) {
      if (mode == PauseMode::kAll) note_all_until(until);
      return;
    }
  }
}

void PauseGate::unpause(common::Millis now) {
  std::uint64_t old = word_.load(std::memory_order_relaxed);
  while (mode_at_word(old, now) != PauseMode::kAll) {
    if (word_.compare_exchange_weak(old, 0, std::memory_order_relaxed)) {
      if (old != 0 && waker_) waker_();
      return;
    }
  }
}

void PauseGate::note_all_until(common::Millis until) {
  common::Millis old = all_until_.load(std::memory_order_relaxed);
  while (old < until && !all_until_.compare_exchange_weak(old, until, std::memory_order_relaxed)) {
  }
}

PauseMode PauseGate::mode_at_word(std::uint64_t word, common::Millis now) {
  return word != 0 && now < end_of(word) ? mode_of(word) : PauseMode::kOff;
}

PauseMode PauseGate::mode_at(common::Millis now) const {
  return mode_at_word(word_.load(std::memory_order_relaxed), now);
}

common::Millis PauseGate::end_ms() const {
  const std::uint64_t word = word_.load(std::memory_order_relaxed);
  return word == 0 ? 0 : end_of(word);
}

std::optional<common::Millis> parse_hold_all_timeout(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  common::Millis value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<common::Millis>(c - '0');
  }
  if (value < 1 || value > kHoldAllMaxMs) return std::nullopt;
  return value;
}

std::uint64_t PauseGate::hold_all(common::Millis timeout_ms, common::Millis now) {
  if (!holds_all(now)) hold_all_id_.fetch_add(1, std::memory_order_relaxed);
  hold_all_until_.store(now + timeout_ms, std::memory_order_relaxed);
  return hold_all_id();
}

bool PauseGate::resume_all(common::Millis now) {
  const bool was = holds_all(now);
  resumed_id_.store(hold_all_id(), std::memory_order_relaxed);
  hold_all_until_.store(0, std::memory_order_relaxed);
  if (was && waker_) waker_();
  return was;
}

}  // namespace funnel::routing
