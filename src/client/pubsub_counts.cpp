// PubsubCounts: the process's subscriptions by name, and the corrected counts (see the header).
#include "client/pubsub_counts.hpp"

#include <algorithm>

#include "resp/value.hpp"
#include "security/glob.hpp"

namespace funnel::client {

bool pubsub_pattern_matches(std::string_view pattern, std::string_view channel) {
  // stringmatchlen's loop never runs for an empty string: "*" does not match "" in Redis.
  if (channel.empty()) return pattern.empty();
  return security::glob_match(pattern, channel);
}

void PubsubCounts::add_client(PubsubKind kind, std::string_view name, int delta) {
  std::lock_guard lock(mutex_);
  Map& names = map(kind);
  auto it = names.find(name);
  if (it == names.end()) {
    if (delta <= 0) return;
    it = names.emplace(std::string(name), Entry{}).first;
    names_.fetch_add(1, std::memory_order_relaxed);
  }
  it->second.clients = std::max<std::int64_t>(0, it->second.clients + delta);
  erase_if_unused(names, it);
}

void PubsubCounts::set_on_link(PubsubKind kind, std::string_view name, bool on) {
  std::lock_guard lock(mutex_);
  Map& names = map(kind);
  auto it = names.find(name);
  if (it == names.end()) {
    if (!on) return;
    it = names.emplace(std::string(name), Entry{}).first;
    names_.fetch_add(1, std::memory_order_relaxed);
  }
  it->second.on_link = on;
  erase_if_unused(names, it);
}

void PubsubCounts::link_lost() {
  std::lock_guard lock(mutex_);
  for (Map& names : maps_) {
    for (auto it = names.begin(); it != names.end();) {
      auto next = std::next(it);
      it->second.on_link = false;
      erase_if_unused(names, it);
      it = next;
    }
  }
}

void PubsubCounts::erase_if_unused(Map& names, Map::iterator it) {
  if (it->second.clients > 0 || it->second.on_link) return;
  names.erase(it);
  names_.fetch_sub(1, std::memory_order_relaxed);
}

std::int64_t PubsubCounts::channel_correction(PubsubKind kind, std::string_view channel) const {
  const Map& names = map(kind);
  const auto it = names.find(channel);
  return it == names.end() ? 0 : correction(it->second);
}

std::int64_t PubsubCounts::publish_receivers(PubsubKind kind, std::string_view channel,
                                             std::int64_t backend_count) const {
  if (names_.load(std::memory_order_relaxed) == 0) return backend_count;
  std::lock_guard lock(mutex_);
  std::int64_t count = backend_count + channel_correction(kind, channel);
  if (kind == PubsubKind::kChannel) {  // Redis matches every pattern, as here (shards: none)
    for (const auto& [pattern, entry] : map(PubsubKind::kPattern)) {
      if (entry.on_link && pubsub_pattern_matches(pattern, channel)) count += correction(entry);
    }
  }
  return std::max<std::int64_t>(0, count);
}

std::int64_t PubsubCounts::subscribers(PubsubKind kind, std::string_view channel,
                                       std::int64_t backend_count) const {
  if (names_.load(std::memory_order_relaxed) == 0) return backend_count;
  std::lock_guard lock(mutex_);
  return std::max<std::int64_t>(0, backend_count + channel_correction(kind, channel));
}

namespace {

// NUMSUB's reply, [name, count, name, count ...], with each count corrected.
bool correct_numsub(const PubsubCounts& counts, PubsubKind kind, std::string_view reply,
                    resp::Protocol protocol, std::string& out) {
  resp::Value value;
  std::size_t consumed = 0;
  if (resp::parse_value(reply, value, consumed) != resp::ValueStatus::kComplete ||
      value.type != resp::ValueType::kArray || value.elems.size() % 2 != 0) {
    return false;
  }
  for (std::size_t i = 0; i < value.elems.size(); i += 2) {
    if (value.elems[i].type != resp::ValueType::kBulk ||
        value.elems[i + 1].type != resp::ValueType::kInteger) {
      return false;
    }
  }
  resp::ReplyWriter writer(out, protocol);
  writer.array_header(value.elems.size());
  for (std::size_t i = 0; i < value.elems.size(); i += 2) {
    writer.bulk(value.elems[i].str);
    writer.integer(counts.subscribers(kind, value.elems[i].str, value.elems[i + 1].integer));
  }
  return true;
}

bool correct_publish(const PubsubCounts& counts, PubsubKind kind, std::string_view channel,
                     std::string_view reply, resp::Protocol protocol, std::string& out) {
  resp::Value value;
  std::size_t consumed = 0;
  if (resp::parse_value(reply, value, consumed) != resp::ValueStatus::kComplete ||
      value.type != resp::ValueType::kInteger) {
    return false;
  }
  resp::ReplyWriter(out, protocol).integer(counts.publish_receivers(kind, channel, value.integer));
  return true;
}

}  // namespace

void correct_pubsub_count(const PubsubCounts& counts, const CountedReply& what,
                          std::string_view reply, resp::Protocol protocol, std::string& out) {
  const std::size_t start = out.size();
  const bool corrected =
      what.numsub ? correct_numsub(counts, what.kind, reply, protocol, out)
                  : correct_publish(counts, what.kind, what.channel, reply, protocol, out);
  if (!corrected) {
    out.resize(start);
    out.append(reply);  // an error (or a shape this code does not know) goes as it came
  }
}

}  // namespace funnel::client
