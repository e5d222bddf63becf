// ElastiCache Serverless as a backend (issue #19, item 6; docs/aws.md#elasticache-serverless):
// what backend.serverless turns the rest of the configuration into. No I/O.
#pragma once

#include <string_view>

#include "config/config.hpp"

namespace funnel::config {

// True for the service's endpoint names: <cache>-<id>.serverless.<region code>.cache.amazonaws.com
// (case-insensitive, a trailing dot allowed).
bool is_serverless_endpoint(std::string_view host);

// Resolves backend.serverless (before the topology checks). On: the endpoint (backend.address,
// or the only cluster seed) becomes the cluster seed, its port + 1 (or serverless_read_port) the
// read endpoint of every shard, max_database_pools 0, IAM tokens for a serverless cache, and TLS
// on when the name is the service's.
// Throws ConfigError when "on" has no single endpoint or the read port does not fit.
void resolve_serverless(Config& config);

}  // namespace funnel::config
