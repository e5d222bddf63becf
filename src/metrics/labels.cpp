// Label values for the metric enums (see worker_metrics.hpp).
#include "metrics/worker_metrics.hpp"

namespace funnel::metrics {

const char* to_label(CloseReason reason) {
  switch (reason) {
    case CloseReason::kClient:
      return "client";
    case CloseReason::kIdleTimeout:
      return "idle_timeout";
    case CloseReason::kProtocolError:
      return "protocol_error";
    case CloseReason::kOutputLimit:
      return "output_limit";
    case CloseReason::kBufferBudget:
      return "buffer_budget";
    case CloseReason::kShutdown:
      return "shutdown";
    case CloseReason::kAuthGuessing:
      return "auth_guessing";
    case CloseReason::kUserRemoved:
      return "user_removed";
    case CloseReason::kBackendStateLost:
      return "backend_state_lost";
    case CloseReason::kCount:
      break;
  }
  return "unknown";
}

const char* to_label(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kError:
      return "error";
    case Outcome::kProxyError:
      return "proxy_error";
    case Outcome::kCount:
      break;
  }
  return "unknown";
}

const char* to_label(CommandClass command_class) {
  switch (command_class) {
    case CommandClass::kRead:
      return "read";
    case CommandClass::kWrite:
      return "write";
    case CommandClass::kOther:
      return "other";
    case CommandClass::kLocal:
      return "local";
    case CommandClass::kCount:
      break;
  }
  return "unknown";
}

const char* to_label(Backpressure reason) {
  switch (reason) {
    case Backpressure::kOutputSoftLimit:
      return "output_soft_limit";
    case Backpressure::kPipelineLimit:
      return "pipeline_limit";
    case Backpressure::kLaneBarrier:
      return "lane_barrier";
    case Backpressure::kCount:
      break;
  }
  return "unknown";
}

}  // namespace funnel::metrics
