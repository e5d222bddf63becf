// What a Redis Cluster error reply asks of Funnel (issue #16): -MOVED and -ASK name the node
// that serves a slot, -TRYAGAIN and -CLUSTERDOWN say to try again later. Read from a reply's
// bytes without I/O; the client never sees one of these that Funnel can follow (docs/cluster.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace funnel::routing {

enum class RedirectKind : std::uint8_t { kNone, kMoved, kAsk, kTryAgain, kClusterDown };

struct Redirect {
  RedirectKind kind = RedirectKind::kNone;
  std::uint16_t slot = 0;  // MOVED/ASK only
  std::string_view host;   // MOVED/ASK only; empty: the node that answered (unknown endpoint)
  std::uint16_t port = 0;  // MOVED/ASK only
};

// `reply` is one whole reply as framed ("-MOVED 3999 127.0.0.1:6381\r\n"). kNone for anything
// else, including a MOVED/ASK whose slot or address does not parse (the client gets it as is).
// The views point into `reply`.
Redirect parse_redirect(std::string_view reply);

// True if the reply's first byte can start one of these errors: the cheap check on the reply
// path before parse_redirect.
inline bool may_be_redirect(std::string_view reply) {
  return reply.size() > 4 && reply[0] == '-' &&
         (reply[1] == 'M' || reply[1] == 'A' || reply[1] == 'T' || reply[1] == 'C');
}

}  // namespace funnel::routing
