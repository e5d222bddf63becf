// Accept smoothing: see accept_pacer.hpp.
#include "server/accept_pacer.hpp"

#include <algorithm>
#include <cmath>

namespace funnel::server {

void AcceptPacer::configure(const AcceptPace& pace, std::int64_t now_ms) {
  pace_ = pace;
  pace_.burst = std::max(pace_.burst, 1.0);
  tokens_ = pace_.burst;
  refilled_at_ = now_ms;
  waiting_since_ = kNotWaiting;
}

void AcceptPacer::refill(std::int64_t now_ms) {
  if (now_ms <= refilled_at_) return;
  const double earned = static_cast<double>(now_ms - refilled_at_) * pace_.rate_per_s / 1000.0;
  tokens_ = std::min(pace_.burst, tokens_ + earned);
  refilled_at_ = now_ms;
}

std::size_t AcceptPacer::allowance(std::int64_t now_ms) {
  if (!limited()) return kUnlimited;
  refill(now_ms);
  if (waiting_since_ != kNotWaiting && now_ms - waiting_since_ >= pace_.max_delay_ms) {
    return kUnlimited;  // the bound wins over the pace
  }
  return static_cast<std::size_t>(std::max(0.0, std::floor(tokens_)));
}

void AcceptPacer::took(std::size_t count) {
  if (!limited()) return;
  tokens_ = std::max(0.0, tokens_ - static_cast<double>(count));
}

void AcceptPacer::deferred(std::int64_t now_ms) {
  if (waiting_since_ == kNotWaiting) waiting_since_ = now_ms;
}

std::int64_t AcceptPacer::retry_in_ms(std::int64_t now_ms) const {
  const double missing = std::max(0.0, 1.0 - tokens_);
  auto token_in = static_cast<std::int64_t>(std::ceil(missing * 1000.0 / pace_.rate_per_s));
  if (waiting_since_ != kNotWaiting) {
    token_in = std::min(token_in, waiting_since_ + pace_.max_delay_ms - now_ms);
  }
  return std::max<std::int64_t>(1, token_in);
}

AcceptPace accept_pace_share(std::uint32_t rate_per_s, std::uint32_t burst,
                             std::uint32_t max_delay_ms, unsigned workers) {
  const double share = 1.0 / std::max(1u, workers);
  return AcceptPace{.rate_per_s = rate_per_s * share,
                    .burst = std::max(1.0, burst * share),
                    .max_delay_ms = max_delay_ms};
}

}  // namespace funnel::server
