// The timeout a blocking command carries (no I/O), so Funnel's own deadline for it can be the
// command's timeout plus a margin: Funnel never cuts a client's BLPOP short, and a timeout of 0
// (wait forever) gets no Funnel deadline at all.
#pragma once

#include <optional>
#include <string_view>

#include "common/clock.hpp"
#include "resp/request_parser.hpp"

namespace funnel::client {

// The command's own timeout in milliseconds (0: forever), or nullopt when the command is not a
// known blocking command or its timeout does not parse (Redis then answers with an error at once).
// `name` is the lower-case command name.
std::optional<common::Millis> blocking_timeout_ms(std::string_view name,
                                                  const resp::Request& request);

}  // namespace funnel::client
