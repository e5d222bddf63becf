// Sessions' subscriptions, the worker's index and pub/sub reply bytes (see subscriptions.hpp).
#include "client/subscriptions.hpp"

#include <algorithm>
#include <utility>

namespace funnel::client {
namespace {
std::size_t index_of(PubsubKind kind) {
  return static_cast<std::size_t>(kind);
}

void remove_from(std::vector<SessionSubscriptions*>& list, SessionSubscriptions* member) {
  auto it = std::find(list.begin(), list.end(), member);
  if (it == list.end()) return;
  *it = list.back();  // order among subscribers does not matter; removal stays O(1) after find
  list.pop_back();
}
}  // namespace

bool SessionSubscriptions::add(PubsubKind kind, std::string_view name) {
  auto& order = names_[index_of(kind)].order;
  return order.try_emplace(std::string(name), next_order_++).second;
}

bool SessionSubscriptions::remove(PubsubKind kind, std::string_view name) {
  return names_[index_of(kind)].order.erase(std::string(name)) > 0;
}

bool SessionSubscriptions::contains(PubsubKind kind, std::string_view name) const {
  return names_[index_of(kind)].order.contains(std::string(name));
}

std::int64_t SessionSubscriptions::reply_count(PubsubKind kind) const {
  if (kind == PubsubKind::kShard) {
    return static_cast<std::int64_t>(names_[index_of(PubsubKind::kShard)].order.size());
  }
  return static_cast<std::int64_t>(names_[index_of(PubsubKind::kChannel)].order.size() +
                                   names_[index_of(PubsubKind::kPattern)].order.size());
}

std::size_t SessionSubscriptions::total() const {
  std::size_t n = 0;
  for (const auto& names : names_) n += names.order.size();
  return n;
}

std::vector<std::string> SessionSubscriptions::names(PubsubKind kind) const {
  const auto& order = names_[index_of(kind)].order;
  std::vector<std::pair<std::uint64_t, const std::string*>> sorted;
  sorted.reserve(order.size());
  for (const auto& [name, number] : order) sorted.emplace_back(number, &name);
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> out;
  out.reserve(sorted.size());
  for (const auto& item : sorted) out.push_back(*item.second);
  return out;
}

bool SubscriptionIndex::join(PubsubKind kind, std::string_view name, SessionSubscriptions* member,
                             bool& confirmed) {
  Map& entries = map(kind);
  auto it = entries.find(name);
  const bool first = it == entries.end();
  if (first) it = entries.try_emplace(std::string(name)).first;
  Entry& entry = it->second;
  entry.members.push_back(member);
  confirmed = entry.confirmed;
  if (!confirmed) entry.waiting.push_back(member);
  return first;
}

bool SubscriptionIndex::leave(PubsubKind kind, std::string_view name,
                              SessionSubscriptions* member) {
  Map& entries = map(kind);
  auto it = entries.find(name);
  if (it == entries.end()) return false;
  remove_from(it->second.members, member);
  remove_from(it->second.waiting, member);
  if (!it->second.members.empty()) return false;
  entries.erase(it);
  return true;
}

std::vector<SessionSubscriptions*> SubscriptionIndex::confirm(PubsubKind kind,
                                                              std::string_view name) {
  Map& entries = map(kind);
  auto it = entries.find(name);
  if (it == entries.end()) return {};
  it->second.confirmed = true;
  return std::exchange(it->second.waiting, {});
}

const std::vector<SessionSubscriptions*>* SubscriptionIndex::members(PubsubKind kind,
                                                                     std::string_view name) const {
  const Map& entries = map(kind);
  auto it = entries.find(name);
  return it == entries.end() ? nullptr : &it->second.members;
}

void write_subscription_reply(std::string& out, resp::Protocol protocol, std::string_view word,
                              const std::string_view* name, std::int64_t count) {
  resp::ReplyWriter w(out, protocol);
  w.push_header(3);
  w.bulk(word);
  if (name != nullptr) {
    w.bulk(*name);
  } else {
    w.null();
  }
  w.integer(count);
}

void write_subscribed_ping(std::string& out, std::string_view argument) {
  resp::ReplyWriter w(out, resp::Protocol::kResp2);
  w.array_header(2);
  w.bulk("pong");
  w.bulk(argument);
}

void append_push(std::string& out, resp::Protocol protocol, std::string_view push) {
  if (push.empty()) return;
  out += protocol == resp::Protocol::kResp3 ? '>' : '*';
  out.append(push.substr(1));
}

}  // namespace funnel::client
