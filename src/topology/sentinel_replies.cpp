// Sentinel reply and event parsing: see sentinel_replies.hpp.
#include "topology/sentinel_replies.hpp"

#include <charconv>

namespace funnel::topology {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::optional<config::HostPort> host_port(std::string_view host, std::string_view port) {
  auto number = parse_port(port);
  if (host.empty() || !number) return std::nullopt;
  return config::HostPort{std::string(host), *number};
}

std::string field(const resp::Value& entry, std::string_view key) {
  const resp::Value* value = entry.find(key);
  if (value == nullptr) return {};
  if (value->type == resp::ValueType::kInteger) return std::to_string(value->integer);
  return std::string(value->as_string().value_or(""));
}

bool has_flag(std::string_view flags, std::string_view flag) {
  return flags.find(flag) != std::string_view::npos;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find(' ', pos), text.size());
    if (end > pos) out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::optional<config::HostPort> parse_master_address(const resp::Value& reply, std::string& error) {
  if (reply.is_error()) {
    error = reply.str;
    return std::nullopt;
  }
  if (reply.is_null()) {
    error = "sentinel does not know this master name";
    return std::nullopt;
  }
  if (reply.type == resp::ValueType::kArray && reply.elems.size() == 2) {
    const auto host = reply.elems[0].as_string();
    std::string port = reply.elems[1].type == resp::ValueType::kInteger
                           ? std::to_string(reply.elems[1].integer)
                           : std::string(reply.elems[1].as_string().value_or(""));
    if (host) {
      if (auto address = host_port(*host, port)) return address;
    }
  }
  error = "unexpected reply to SENTINEL get-master-addr-by-name";
  return std::nullopt;
}

std::optional<SentinelReplicas> parse_sentinel_replicas(const resp::Value& reply,
                                                        std::string& error) {
  if (reply.is_error()) {
    error = reply.str;
    return std::nullopt;
  }
  if (reply.type != resp::ValueType::kArray) {
    error = "unexpected reply to SENTINEL replicas";
    return std::nullopt;
  }
  SentinelReplicas replicas;
  for (const resp::Value& entry : reply.elems) {
    const std::string flags = field(entry, "flags");
    if (has_flag(flags, "s_down") || has_flag(flags, "o_down")) continue;
    if (auto address = host_port(field(entry, "ip"), field(entry, "port"))) {
      auto& list = has_flag(flags, "disconnected") ? replicas.disconnected : replicas.usable;
      list.push_back(std::move(*address));
    }
  }
  return replicas;
}

const std::vector<std::string>& sentinel_event_channels() {
  // The first six make the monitor ask again; the others are the failover's steps, which hold
  // the primary's requests from +try-failover on (routing/failover_hold.hpp).
  static const std::vector<std::string> channels = {"+switch-master",
                                                    "+sdown",
                                                    "-sdown",
                                                    "+odown",
                                                    "-odown",
                                                    "+slave",
                                                    "+try-failover",
                                                    "+elected-leader",
                                                    "+failover-state-select-slave",
                                                    "+selected-slave",
                                                    "+failover-state-send-slaveof-noone",
                                                    "+failover-state-wait-promotion",
                                                    "+promoted-slave",
                                                    "+failover-state-reconf-slaves",
                                                    "+failover-end",
                                                    "+failover-end-for-timeout",
                                                    "-failover-abort-not-elected",
                                                    "-failover-abort-no-good-slave",
                                                    "-failover-abort-slave-timeout"};
  return channels;
}

SentinelEvent parse_sentinel_event(std::string_view channel, std::string_view payload,
                                   std::string_view master_name) {
  SentinelEvent event;
  const auto parts = words(payload);
  if (channel == "+switch-master") {
    if (parts.size() == 5 && parts[0] == master_name) {
      event.about_master = true;
      event.new_primary = host_port(parts[3], parts[4]);
      event.master = host_port(parts[1], parts[2]);
      event.signal = routing::FailoverSignal::kPromoted;
    }
    return event;
  }
  // "<type> <name> <ip> <port> [@ <master> <ip> <port>]"
  bool instance_is_master = false;
  if (parts.size() >= 8 && parts[4] == "@") {
    event.about_master = parts[5] == master_name;
    event.master = host_port(parts[6], parts[7]);
  } else if (parts.size() >= 4 && parts[0] == "master") {
    event.about_master = parts[1] == master_name;
    event.master = host_port(parts[2], parts[3]);
    instance_is_master = true;
  }
  if (!event.about_master) return event;
  event.signal = routing::classify_sentinel_event(channel);
  // +sdown/-sdown/+odown/-odown of a replica say nothing about the master's failover.
  const bool down_news = channel.ends_with("sdown") || channel.ends_with("odown");
  if (down_news && !instance_is_master) event.signal = routing::FailoverSignal::kNone;
  return event;
}

}  // namespace funnel::topology
