// The coalescing rule (coalesce_rule.hpp) and the checks on shield.coalesce_commands.
#include "routing/coalesce_rule.hpp"

#include <algorithm>
#include <array>

#include "command/command_table.hpp"
#include "common/ascii.hpp"
#include "common/word_list.hpp"

namespace funnel::routing {

// Every condition of issue #18's item 1 that R's side decides. A request Funnel does not know to
// be read-only is never coalesced, whatever the list says.
bool offer_verdict(const OfferFacts& r) {
  if (!r.enabled || !r.command_listed || !r.read_only) return false;
  if (r.in_multi || r.pinned || r.tracking || r.reply_off || r.reply_edited) return false;
  // Read-your-writes: L travels on the primary's shared link, which satisfies any routing R
  // could have; a read routed to a replica (or another node) is not coalesced.
  if (!r.primary_shared_link) return false;
  return r.earlier != Earlier::kElsewhere;
}

// L not yet handed to the socket when R arrived: every write acknowledged before R had run
// before L will. R's client's earlier requests must run before R: if they are all on this link,
// none may sit behind L (links run in any order relative to each other, so one elsewhere is
// refused by offer_verdict).
bool join_verdict(const JoinFacts& j) {
  if (!j.same_bytes) return false;
  if (!j.leader_unsent && !j.unsafe_for_tests) return false;
  switch (j.earlier) {
    case Earlier::kNone:
      return true;
    case Earlier::kOnSameLink:
      return !j.client_behind_leader;
    case Earlier::kElsewhere:
      return false;
  }
  return false;
}

std::string_view default_coalesce_commands() {
  return "get mget getrange strlen exists type hget hmget hgetall hexists hlen hstrlen hkeys "
         "hvals llen lindex lrange scard sismember smismember smembers zcard zscore zmscore "
         "zrank zrevrank zcount zrange zrangebyscore zrevrange getbit bitcount";
}

namespace {

// Read-only, but the reply is not a function of the data alone: chance, the clock, the server.
constexpr std::array kNotAFunctionOfTheData = {
    std::string_view{"srandmember"}, std::string_view{"hrandfield"},
    std::string_view{"zrandmember"}, std::string_view{"randomkey"},
    std::string_view{"time"},        std::string_view{"lastsave"},
    std::string_view{"info"},        std::string_view{"memory"},
    std::string_view{"object"},      std::string_view{"debug"},
};

bool refusable(const command::CommandSpec* spec) {
  if (spec == nullptr || !spec->has(command::Flag::kReadonly)) return true;
  if (spec->has(command::Flag::kWrite) || spec->has(command::Flag::kBlocking)) return true;
  if (spec->has(command::Flag::kPubsub) || spec->in(command::AclCategory::kScripting)) return true;
  if (spec->is_container()) return true;
  return std::find(kNotAFunctionOfTheData.begin(), kNotAFunctionOfTheData.end(), spec->name) !=
         kNotAFunctionOfTheData.end();
}

}  // namespace

std::vector<std::string> split_coalesce_commands(std::string_view list,
                                                 std::vector<std::string>& refused) {
  static const auto table = command::CommandTable::builtin();
  std::vector<std::string> names;
  for (const std::string_view word : common::split_words(list)) {
    std::string name(word);
    for (char& c : name) c = common::ascii_lower(c);
    if (refusable(table->find(name))) {
      refused.push_back(name);
    } else if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(std::move(name));
    }
  }
  return names;
}

}  // namespace funnel::routing
