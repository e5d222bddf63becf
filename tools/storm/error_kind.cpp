// Error classification (see error_kind.hpp).
#include "storm/error_kind.hpp"

#include <cerrno>

namespace funnel::storm {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kConnectRefused:
      return "connect_refused";
    case ErrorKind::kEmfile:
      return "emfile";
    case ErrorKind::kMaxClients:
      return "max_clients";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kThrottled:
      return "throttled";
    case ErrorKind::kOther:
      return "other";
  }
  return "other";
}

std::string_view error_kind_label(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kConnectRefused:
      return "connect refused";
    case ErrorKind::kEmfile:
      return "EMFILE (too many open files)";
    case ErrorKind::kMaxClients:
      return "max clients reached";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kThrottled:
      return "throttled (no free container)";
    case ErrorKind::kOther:
      return "other";
  }
  return "other";
}

ErrorKind classify_errno(int error_number, Phase phase) {
  switch (error_number) {
    case EMFILE:
    case ENFILE:
      return ErrorKind::kEmfile;
    case ECONNREFUSED:
      return ErrorKind::kConnectRefused;
    case ETIMEDOUT:
      return ErrorKind::kTimeout;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
      return classify_eof(phase);
    default:
      return ErrorKind::kOther;
  }
}

ErrorKind classify_eof(Phase phase) {
  return phase == Phase::kFirstReply ? ErrorKind::kMaxClients : ErrorKind::kOther;
}

ErrorKind classify_error_reply(std::string_view reply) {
  constexpr std::string_view kMaxClientsText = "max number of clients reached";
  if (reply.find(kMaxClientsText) != std::string_view::npos) return ErrorKind::kMaxClients;
  return ErrorKind::kOther;
}

}  // namespace funnel::storm
