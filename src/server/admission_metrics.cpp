// Fair admission's metrics (issue #18 item 3): per configured user, the connections it holds and
// the connections and commands refused by its limits (the label set is the configured users and
// the default user, never names that clients send); and the writes that
// backend.max_in_flight_per_link held requests back in.
#include <fmt/format.h>

#include "metrics/text_format.hpp"
#include "server/process.hpp"

namespace funnel::server {

std::string Process::admission_metrics() {
  std::shared_ptr<const security::UserDirectory> users;
  {
    std::lock_guard lock(reload_mutex_);  // a reload replaces users_
    users = users_;
  }
  std::string connections =
      "# HELP funnel_user_connections Client connections acting as each user.\n"
      "# TYPE funnel_user_connections gauge\n";
  std::string refused =
      "# HELP funnel_user_refused_total Connections (reason=\"connections\": the user's "
      "max_connections) and commands (reason=\"commands\": its max_commands_per_s; "
      "reason=\"pinned\": a pinned link past its max_pinned) refused.\n"
      "# TYPE funnel_user_refused_total counter\n";
  std::string pinned =
      "# HELP funnel_user_pinned_links Clients of each user holding (or waiting for) a pinned "
      "backend link (WATCH, MULTI, blocking commands, tracking, MONITOR).\n"
      "# TYPE funnel_user_pinned_links gauge\n";
  for (const auto& user : users->users()) {
    const std::string name = metrics::escape(user->name());
    const security::UserCounters& counters = user->counters();
    connections += fmt::format("funnel_user_connections{{user=\"{}\"}} {}\n", name,
                               counters.connections.load(std::memory_order_relaxed));
    refused += fmt::format(
        "funnel_user_refused_total{{user=\"{}\",reason=\"connections\"}} {}\n"
        "funnel_user_refused_total{{user=\"{}\",reason=\"commands\"}} {}\n",
        name, counters.refused_connections.load(std::memory_order_relaxed), name,
        counters.refused_commands.load(std::memory_order_relaxed));
    refused += fmt::format("funnel_user_refused_total{{user=\"{}\",reason=\"pinned\"}} {}\n", name,
                           counters.refused_pins.load(std::memory_order_relaxed));
    pinned += fmt::format("funnel_user_pinned_links{{user=\"{}\"}} {}\n", name,
                          counters.pinned.load(std::memory_order_relaxed));
  }
  std::string wait;
  link_settings_.in_flight_wait->render(
      wait, "funnel_backend_in_flight_wait_seconds",
      "How long requests that backend.max_in_flight_per_link held back in Funnel waited before "
      "they were written to their link (from when the client's request was read).");
  return connections + refused + pinned + wait +
         fmt::format(
             "# HELP funnel_backend_in_flight_waits_total Writes to a backend link that held "
             "requests back in Funnel because backend.max_in_flight_per_link were unanswered.\n"
             "# TYPE funnel_backend_in_flight_waits_total counter\n"
             "funnel_backend_in_flight_waits_total {}\n",
             link_settings_.in_flight_waits->load(std::memory_order_relaxed));
}

}  // namespace funnel::server
