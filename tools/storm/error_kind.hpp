// Error classification: every failed invocation gets exactly one kind, the same kinds the case's
// dashboards and logs showed (connect refused, EMFILE, max clients reached, timeouts). No I/O.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace funnel::storm {

enum class ErrorKind : std::uint8_t {
  kNone,
  kConnectRefused,  // ECONNREFUSED: nothing listens (or the backlog overflowed)
  kEmfile,          // EMFILE/ENFILE: the container ran out of descriptors (the case's error)
  kMaxClients,      // "-ERR max number of clients reached", or a reset right after connect
  kTimeout,         // connect or a reply took longer than --timeout-ms
  kThrottled,       // no container became free within --queue-timeout-ms
  kOther,           // any other error reply or socket error
};
inline constexpr std::size_t kErrorKindCount = 7;
inline constexpr std::array<ErrorKind, kErrorKindCount - 1> kFailureKinds = {
    ErrorKind::kConnectRefused, ErrorKind::kEmfile,    ErrorKind::kMaxClients,
    ErrorKind::kTimeout,        ErrorKind::kThrottled, ErrorKind::kOther};

// Stable snake_case name, used as the JSON key ("max_clients").
std::string_view error_kind_name(ErrorKind kind);
// Human label for tables and the report ("max clients reached").
std::string_view error_kind_label(ErrorKind kind);

// Where the invocation was when it failed. A connection the server drops before its first reply
// is how Redis refuses a client over maxclients when the error text is lost to a reset.
enum class Phase : std::uint8_t { kSocket, kConnect, kFirstReply, kLaterReply };

// An errno value (from a system-category error code) at phase.
ErrorKind classify_errno(int error_number, Phase phase);
// The peer closed the connection (EOF) at phase.
ErrorKind classify_eof(Phase phase);
// An error reply's bytes ("-ERR max number of clients reached\r\n").
ErrorKind classify_error_reply(std::string_view reply);

}  // namespace funnel::storm
