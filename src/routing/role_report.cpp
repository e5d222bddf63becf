// parse_role(): ROLE replies into RoleReport (see role_report.hpp for the shapes).
#include "routing/role_report.hpp"

#include <charconv>

namespace funnel::routing {
namespace {

// Fields arrive as integers or as strings of digits depending on the field and the server.
bool to_int(const resp::Value& v, std::int64_t& out) {
  if (v.type == resp::ValueType::kInteger) {
    out = v.integer;
    return true;
  }
  const auto text = v.as_string();
  if (!text || text->empty()) return false;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, out);
  return ec == std::errc() && ptr == end;
}

bool to_port(const resp::Value& v, std::uint16_t& out) {
  std::int64_t n = 0;
  if (!to_int(v, n) || n <= 0 || n > 65535) return false;
  out = static_cast<std::uint16_t>(n);
  return true;
}

bool parse_primary(const resp::Value& reply, RoleReport& out, std::string& error) {
  if (reply.elems.size() < 3 || !to_int(reply.elems[1], out.offset) ||
      !reply.elems[2].is_aggregate()) {
    error = "ROLE from a primary: expected [\"master\", offset, replicas]";
    return false;
  }
  for (const resp::Value& row : reply.elems[2].elems) {
    ReplicaEntry entry;
    const auto host = row.elems.size() >= 3 ? row.elems[0].as_string() : std::nullopt;
    if (!host || !to_port(row.elems[1], entry.port) || !to_int(row.elems[2], entry.offset)) {
      error = "ROLE from a primary: a replica row is not [host, port, offset]";
      return false;
    }
    entry.host = std::string(*host);
    out.replicas.push_back(std::move(entry));
  }
  out.role = Role::kPrimary;
  return true;
}

bool parse_replica(const resp::Value& reply, RoleReport& out, std::string& error) {
  const auto host = reply.elems.size() >= 5 ? reply.elems[1].as_string() : std::nullopt;
  const auto state = reply.elems.size() >= 5 ? reply.elems[3].as_string() : std::nullopt;
  if (!host || !state || !to_port(reply.elems[2], out.primary_port) ||
      !to_int(reply.elems[4], out.offset)) {
    error = "ROLE from a replica: expected [\"slave\", host, port, state, offset]";
    return false;
  }
  out.primary_host = std::string(*host);
  out.link_state = std::string(*state);
  out.role = Role::kReplica;
  return true;
}

}  // namespace

std::optional<RoleReport> parse_role(const resp::Value& reply, std::string& error) {
  if (reply.is_error()) {
    error = "ROLE failed: " + reply.str;
    return std::nullopt;
  }
  const auto kind =
      !reply.elems.empty() && reply.is_aggregate() ? reply.elems[0].as_string() : std::nullopt;
  if (!kind) {
    error = "ROLE: not an array starting with the role";
    return std::nullopt;
  }
  RoleReport out;
  bool ok = false;
  if (*kind == "master") {
    ok = parse_primary(reply, out, error);
  } else if (*kind == "slave" || *kind == "replica") {
    ok = parse_replica(reply, out, error);
  } else if (*kind == "sentinel") {
    out.role = Role::kSentinel;
    ok = true;
  } else {
    error = "ROLE: unknown role '" + std::string(*kind) + "'";
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace funnel::routing
