// The failover hold's rules (see failover_hold.hpp).
#include "routing/failover_hold.hpp"

#include <algorithm>

namespace funnel::routing {

FailoverSignal classify_sentinel_event(std::string_view channel) {
  struct Row {
    std::string_view channel;
    FailoverSignal signal;
  };
  // Sentinel 7.0's events, in the order one failover publishes them (docs/topology.md#failover).
  static constexpr Row kRows[] = {
      {"+sdown", FailoverSignal::kSuspected},
      {"+odown", FailoverSignal::kDown},
      {"+try-failover", FailoverSignal::kStarted},
      {"+elected-leader", FailoverSignal::kStarted},
      {"+failover-state-select-slave", FailoverSignal::kStarted},
      {"+selected-slave", FailoverSignal::kStarted},
      {"+failover-state-send-slaveof-noone", FailoverSignal::kStarted},
      {"+failover-state-wait-promotion", FailoverSignal::kStarted},
      {"+promoted-slave", FailoverSignal::kPromoted},
      {"+failover-state-reconf-slaves", FailoverSignal::kPromoted},
      {"+failover-end", FailoverSignal::kPromoted},
      {"+failover-end-for-timeout", FailoverSignal::kPromoted},
      {"+switch-master", FailoverSignal::kPromoted},
      {"-sdown", FailoverSignal::kRecovered},
      {"-odown", FailoverSignal::kRecovered},
  };
  for (const Row& row : kRows) {
    if (row.channel == channel) return row.signal;
  }
  // -failover-abort-not-elected, -failover-abort-no-good-slave, -failover-abort-slave-timeout...
  if (channel.starts_with("-failover-abort")) return FailoverSignal::kAborted;
  return FailoverSignal::kNone;
}

bool failover_expected(const PrimaryFacts& facts) {
  switch (facts.signal) {
    case FailoverSignal::kStarted:
    case FailoverSignal::kPromoted:
      return true;  // whatever the links say: the old primary is about to be demoted
    default:
      // +sdown/+odown with our links up: Funnel still reaches the primary (a partition between
      // it and the sentinels); writes go on until a failover starts.
      return facts.links_down && facts.can_fail_over;
  }
}

HoldDecision decide(const PrimaryFacts& facts, const HoldSettings& settings, bool read,
                    common::Millis arrived, common::Millis now) {
  if (settings.hold_ms <= 0) return {};           // backend.failover_hold_ms = 0
  if (read && facts.replica_readable) return {};  // a replica serves it meanwhile
  if (!failover_expected(facts)) return {};       // nothing to wait for
  const common::Millis until = hold_deadline(settings, arrived);
  if (now >= until) return {HoldVerdict::kFail, until};  // kFailoverTimedOut
  return {HoldVerdict::kHold, until};
}

void FailoverWatch::hear(FailoverSignal signal, common::Millis now) {
  const FailoverSignal current = this->signal(now);
  switch (signal) {
    case FailoverSignal::kNone:
      return;
    case FailoverSignal::kRecovered:
    case FailoverSignal::kAborted:
      // Once a replica is promoted the old primary is on its way out, whatever else is heard.
      if (current != FailoverSignal::kPromoted) signal_ = FailoverSignal::kNone;
      return;
    default:
      signal_ = std::max(current, signal);
      heard_at_ = now;
  }
}

FailoverSignal FailoverWatch::signal(common::Millis now) const {
  if (signal_ != FailoverSignal::kNone && now - heard_at_ >= window_ms_) {
    return FailoverSignal::kNone;
  }
  return signal_;
}

common::Millis FailoverWatch::hold_until(common::Millis now) const {
  if (window_ms_ <= 0) return 0;
  const FailoverSignal current = signal(now);
  const bool started = current == FailoverSignal::kStarted || current == FailoverSignal::kPromoted;
  return started ? heard_at_ + window_ms_ : 0;
}

bool FailoverGate::holding_slow(std::uint64_t epoch, common::Millis now) const {
  if (epoch < min_epoch_.load(std::memory_order_relaxed)) return true;  // links not switched yet
  return now < announced_until_.load(std::memory_order_relaxed) ||
         now < links_down_until_.load(std::memory_order_relaxed);
}

}  // namespace funnel::routing
