// funnel: entry point. Parses configuration, sets up logging and limits, runs the proxy.
// Startup errors are printed as one clear line; the data path never throws.
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "common/invariant.hpp"
#include "config/config.hpp"
#include "security/user_directory.hpp"
#include "server/fd_limit.hpp"
#include "server/iam_auth.hpp"
#include "server/process.hpp"
#include "tls/client_tls.hpp"
#include "tls/server_tls.hpp"

namespace {

void report_invariant(const char* expr, const char* file, int line) {
  spdlog::error("internal invariant broken: {} at {}:{} (counted; please report)", expr, file,
                line);
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("funnel");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace

int main(int argc, char** argv) {
  using funnel::config::ConfigError;
  // OpenSSL writes TLS records with write(), not send(MSG_NOSIGNAL): a TLS peer (client or
  // backend) that closes while Funnel writes would raise SIGPIPE and end the whole process.
  // Ignored, the write fails with EPIPE and only that connection is closed, as Redis does.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    auto invocation = funnel::config::parse_invocation(argc, argv);
    using Action = funnel::config::Invocation::Action;
    if (invocation.action == Action::kExit) return invocation.exit_code;
    if (invocation.action == Action::kIamToken) {
      return funnel::server::print_iam_token(invocation.iam_token,
                                             funnel::aws::ChainEnvironment::system());
    }
    if (invocation.action == Action::kCheckConfig) {
      const auto& checked = invocation.config;
      (void)funnel::security::UserDirectory::build(checked.auth);  // checks [[users]]
      // Loads the certificates and keys, so a wrong path or a mismatched key shows up now.
      if (checked.tls.enabled()) funnel::tls::ServerTls server_tls(checked.tls);
      if (checked.backend.tls != 0) {
        funnel::tls::ClientTls backend_tls({.ca_file = checked.backend.tls_ca_file,
                                            .verify = checked.backend.tls_verify != 0,
                                            .cert_file = checked.backend.tls_cert_file,
                                            .key_file = checked.backend.tls_key_file});
      }
      std::printf("configuration OK: %s\n", invocation.config.source_file.c_str());
      return 0;
    }
    const auto& config = invocation.config;
    setup_logging(config.log.level);
    funnel::common::set_invariant_reporter(&report_invariant);
    // Clients, two links per protocol per connections_per_node, and room for listeners,
    // event loops, the control link and logs.
    const std::uint64_t needed = static_cast<std::uint64_t>(config.server.max_clients) +
                                 4ull * config.backend.connections_per_node +
                                 8ull * config.server.workers + 64;
    if (auto error = funnel::server::ensure_descriptor_limit(needed, config.server.max_clients);
        !error.empty()) {
      std::fprintf(stderr, "funnel: %s\n", error.c_str());
      return 2;
    }
    funnel::server::Process process(std::move(invocation.config));
    process.set_reload_args(std::vector<std::string>(argv, argv + argc));  // re-read on reload
    process.set_takeover(invocation.takeover);
    return process.run();
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "funnel: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "funnel: %s\n", e.what());
    return 1;
  }
}
