// The health check of a link that only receives (the pub/sub hub's subscriber links, main and
// per shard): such a link would never notice a backend that stopped answering (frozen, or a
// half-open TCP connection), so its owner PINGs it now and then and replaces it when no reply
// comes within the stall timeout. No I/O: the owner passes the clock and does what next() says.
#pragma once

#include "common/clock.hpp"

namespace funnel::backend {

class LinkPing {
 public:
  enum class Step {
    kWait,     // nothing to do now
    kSend,     // send a PING now, then call sent()
    kStalled,  // the last PING went unanswered past the stall timeout: replace the link
  };

  // What to do at `now` on a ready link: PING every `interval_ms`, one at a time.
  Step next(common::Millis now, common::Millis interval_ms, common::Millis stall_ms) const {
    if (outstanding_) return now - sent_ms_ > stall_ms ? Step::kStalled : Step::kWait;
    return now - sent_ms_ >= interval_ms ? Step::kSend : Step::kWait;
  }
  void sent(common::Millis now) {
    sent_ms_ = now;
    outstanding_ = true;
  }
  // Its +PONG came back.
  void answered() { outstanding_ = false; }
  // The link is not ready, or (re)connected, or replaced: no PING is waited for on it.
  void reset() { outstanding_ = false; }

 private:
  common::Millis sent_ms_ = 0;
  bool outstanding_ = false;
};

}  // namespace funnel::backend
