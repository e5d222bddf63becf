// The near cache's per-request rules (near_cache_rule.hpp).
#include "routing/near_cache_rule.hpp"

#include <algorithm>

#include "common/word_list.hpp"
#include "routing/coalesce_rule.hpp"

namespace funnel::routing {

// A hit is answered at once, ahead of nothing: the client must have no earlier request in flight
// (its replies keep their order) and no state that makes Redis answer it differently.
CacheUse cache_use(const CacheReadFacts& r) {
  if (!r.listed || !r.one_key || !r.key_under_prefix) return CacheUse::kNone;
  if (r.in_multi || r.pinned || r.tracking || r.reply_off || r.reply_edited || r.subscribed)
    return CacheUse::kNone;
  if (r.earlier_in_flight) return CacheUse::kNone;
  // Fills come only from the node that sends the invalidations: the primary.
  return r.to_primary ? CacheUse::kServeOrFill : CacheUse::kServeOnly;
}

WriteScope write_scope(const command::CommandSpec* spec, bool read_only) {
  if (spec == nullptr) return WriteScope::kAll;
  if (read_only) return WriteScope::kNone;
  // Scripts and functions may touch keys they did not declare; EXEC runs what MULTI queued.
  if (spec->in(command::AclCategory::kScripting) || spec->name == "exec") return WriteScope::kAll;
  if (!spec->has(command::Flag::kWrite)) return WriteScope::kNone;
  if (spec->first_key == 0 || spec->has(command::Flag::kMovableKeys)) return WriteScope::kAll;
  return WriteScope::kKeys;
}

bool under_prefix(std::string_view key, const std::vector<std::string>& prefixes) {
  for (const std::string& p : prefixes) {
    if (key.starts_with(p)) return true;
  }
  return false;
}

std::vector<std::string> split_prefixes(std::string_view list, std::string& error) {
  std::vector<std::string> prefixes;
  for (const std::string_view word : common::split_words(list)) prefixes.emplace_back(word);
  if (prefixes.empty()) error = "no prefix given";
  for (std::size_t a = 0; a < prefixes.size() && error.empty(); ++a) {
    for (std::size_t b = 0; b < prefixes.size(); ++b) {
      if (a != b && prefixes[b].starts_with(prefixes[a])) {
        error = "prefixes '" + prefixes[a] + "' and '" + prefixes[b] +
                "' overlap (Redis's broadcast tracking needs prefixes that do not)";
        break;
      }
    }
  }
  if (!error.empty()) prefixes.clear();
  return prefixes;
}

std::string_view default_near_cache_commands() {
  return "get hget hgetall hmget hexists hlen strlen exists mget";
}

std::vector<std::string> split_near_cache_commands(std::string_view list,
                                                   std::vector<std::string>& refused) {
  static const auto table = command::CommandTable::builtin();
  std::vector<std::string> names;
  for (std::string& name : split_coalesce_commands(list, refused)) {
    const command::CommandSpec* spec = table->find(name);
    if (spec == nullptr || spec->first_key != 1 || spec->has(command::Flag::kMovableKeys)) {
      refused.push_back(std::move(name));
    } else {
      names.push_back(std::move(name));
    }
  }
  return names;
}

bool names_one_key(const command::CommandSpec& spec, std::size_t argc) {
  if (spec.first_key != 1 || argc < 2) return false;
  return spec.last_key == 1 || argc == 2;
}

}  // namespace funnel::routing
