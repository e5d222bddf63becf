// systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram on the AF_UNIX
// socket named by $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@').
// Process sends READY=1 once listening, RELOADING=1 around SIGHUP, STOPPING=1 at the drain, so
// the packaged unit (contrib/funnel.service, Type=notify) knows when Funnel really serves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace funnel::server {

// Sends `state` (e.g. "READY=1", newline-separated assignments) to $NOTIFY_SOCKET. Without
// the variable (not run by systemd) it does nothing and returns true; a send that fails returns
// false and is only logged by the caller: readiness reporting never stops the proxy.
// Thread-safe; opens and closes its own socket on each call (called a few times per process).
bool notify_systemd(std::string_view state);

// "RELOADING=1\nMONOTONIC_USEC=<now>": systemd 253+ requires the timestamp with RELOADING=1 for
// Type=notify-reload; systemd 252 (Debian 12) ignores it. CLOCK_MONOTONIC in microseconds.
std::string reloading_message();

}  // namespace funnel::server
