// Test fixtures (funnel::test): what a running process holds, read from /proc, for tests that
// check Funnel gives back what hostile clients made it take (descriptors, memory, CPU time).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace funnel::test {

// Descriptors the process has open now (0 if it is gone).
std::size_t open_descriptors(pid_t pid);
// What each open descriptor is ("3->socket:[1234](6379>41000 st01) 4->pipe:[99] ...": TCP
// sockets with their local and remote ports and state), for failure messages.
std::string describe_descriptors(pid_t pid);
// A "<field>: N kB" line of /proc/PID/status (VmRSS, VmHWM, ...) in bytes; 0 if absent.
std::uint64_t status_bytes(pid_t pid, const std::string& field);
inline std::uint64_t rss_bytes(pid_t pid) {
  return status_bytes(pid, "VmRSS");
}
// User plus system CPU time the process has used so far, in milliseconds.
long cpu_ms(pid_t pid);

}  // namespace funnel::test
