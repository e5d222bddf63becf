// The command table behind classify(): built once, off the hot path, from the generated bootstrap
// rows or from a backend's COMMAND reply; afterwards only read (find), from any worker thread.
#include "command/command_table.hpp"

#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <algorithm>
#include <limits>
#include <span>

#include "command/ascii.hpp"
#include "command/builtin_commands.hpp"
#include "command/classify.hpp"

namespace funnel::command {
namespace {

struct NamedBit {
  std::string_view name;
  std::uint32_t bit;
};

constexpr NamedBit kFlagNames[] = {
    {"write", bits(Flag::kWrite)},
    {"readonly", bits(Flag::kReadonly)},
    {"denyoom", bits(Flag::kDenyOom)},
    {"module", bits(Flag::kModule)},
    {"admin", bits(Flag::kAdmin)},
    {"pubsub", bits(Flag::kPubsub)},
    {"noscript", bits(Flag::kNoscript)},
    {"blocking", bits(Flag::kBlocking)},
    {"loading", bits(Flag::kLoading)},
    {"stale", bits(Flag::kStale)},
    {"skip_monitor", bits(Flag::kSkipMonitor)},
    {"skip_slowlog", bits(Flag::kSkipSlowlog)},
    {"asking", bits(Flag::kAsking)},
    {"fast", bits(Flag::kFast)},
    {"no_auth", bits(Flag::kNoAuth)},
    {"may_replicate", bits(Flag::kMayReplicate)},
    {"sentinel", bits(Flag::kSentinel)},
    {"only_sentinel", bits(Flag::kOnlySentinel)},
    {"no_mandatory_keys", bits(Flag::kNoMandatoryKeys)},
    {"protected", bits(Flag::kProtected)},
    {"movablekeys", bits(Flag::kMovableKeys)},
    {"no_multi", bits(Flag::kNoMulti)},
    {"allow_busy", bits(Flag::kAllowBusy)},
    {"no_async_loading", bits(Flag::kNoAsyncLoading)},
};

constexpr NamedBit kAclNames[] = {
    {"keyspace", bits(AclCategory::kKeyspace)},
    {"read", bits(AclCategory::kRead)},
    {"write", bits(AclCategory::kWrite)},
    {"set", bits(AclCategory::kSet)},
    {"sortedset", bits(AclCategory::kSortedSet)},
    {"list", bits(AclCategory::kList)},
    {"hash", bits(AclCategory::kHash)},
    {"string", bits(AclCategory::kString)},
    {"bitmap", bits(AclCategory::kBitmap)},
    {"hyperloglog", bits(AclCategory::kHyperLogLog)},
    {"geo", bits(AclCategory::kGeo)},
    {"stream", bits(AclCategory::kStream)},
    {"pubsub", bits(AclCategory::kPubsub)},
    {"admin", bits(AclCategory::kAdmin)},
    {"fast", bits(AclCategory::kFast)},
    {"slow", bits(AclCategory::kSlow)},
    {"blocking", bits(AclCategory::kBlocking)},
    {"dangerous", bits(AclCategory::kDangerous)},
    {"connection", bits(AclCategory::kConnection)},
    {"transaction", bits(AclCategory::kTransaction)},
    {"scripting", bits(AclCategory::kScripting)},
};

std::uint32_t lookup_bit(std::span<const NamedBit> table, std::string_view name) {
  for (const NamedBit& entry : table) {
    if (iequals(entry.name, name)) return entry.bit;
  }
  return 0;
}

void lower_in_place(std::string& s) {
  for (char& c : s) c = ascii_lower(c);
}

// Container rows are followed by their subcommand rows; see BuiltinRow.
std::vector<CommandSpec> expand_builtin_rows() {
  std::vector<CommandSpec> specs;
  const std::span<const BuiltinRow> rows = builtin_rows();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto make = [](const BuiltinRow& row) {
      CommandSpec spec;
      spec.name = row.name;
      spec.arity = row.arity;
      spec.flags = row.flags;
      spec.acl = row.acl;
      spec.first_key = row.first_key;
      spec.last_key = row.last_key;
      spec.key_step = row.key_step;
      return spec;
    };
    CommandSpec spec = make(rows[i]);
    const std::size_t subs = std::min<std::size_t>(rows[i].subcommand_count, rows.size() - i - 1);
    for (std::size_t k = 0; k < subs; ++k) spec.subcommands.push_back(make(rows[i + 1 + k]));
    i += subs;
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace

std::uint32_t flag_from_name(std::string_view name) {
  return lookup_bit(kFlagNames, name);
}

std::uint32_t acl_category_from_name(std::string_view name) {
  if (!name.empty() && name.front() == '@') name.remove_prefix(1);
  return lookup_bit(kAclNames, name);
}

// FNV-1a over the lower-cased bytes: equal for every spelling NameEqual treats as equal.
std::size_t CommandTable::NameHash::operator()(std::string_view name) const {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : name) {
    hash ^= static_cast<unsigned char>(ascii_lower(c));
    hash *= 1099511628211ull;
  }
  return static_cast<std::size_t>(hash);
}

bool CommandTable::NameEqual::operator()(std::string_view a, std::string_view b) const {
  return iequals(a, b);
}

namespace {
struct CommandIds {
  std::mutex mutex;
  std::vector<std::string> names{"other"};
  std::unordered_map<std::string, std::uint16_t> ids;
};
CommandIds& command_ids() {
  static CommandIds ids;
  return ids;
}
}  // namespace

std::uint16_t command_id(std::string_view lower_case_name) {
  CommandIds& registry = command_ids();
  std::lock_guard lock(registry.mutex);
  const std::string name(lower_case_name);
  if (auto it = registry.ids.find(name); it != registry.ids.end()) return it->second;
  if (registry.names.size() >= kMaxCommandIds) return 0;
  const auto id = static_cast<std::uint16_t>(registry.names.size());
  registry.names.push_back(name);
  registry.ids.emplace(name, id);
  return id;
}

std::vector<std::string> command_id_names() {
  CommandIds& registry = command_ids();
  std::lock_guard lock(registry.mutex);
  return registry.names;
}

std::uint64_t CommandTable::next_serial() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

CommandTable::CommandTable(std::vector<CommandSpec> commands) {
  commands_.reserve(commands.size());
  for (CommandSpec& spec : commands) {
    lower_in_place(spec.name);
    for (CommandSpec& sub : spec.subcommands) lower_in_place(sub.name);
    if (index_.contains(spec.name)) continue;  // the first row of a name wins
    spec.id = command_id(spec.name);
    for (CommandSpec& sub : spec.subcommands) sub.id = spec.id;
    spec.forward_as_is = forwards_as_is(spec);
    index_.emplace(spec.name, commands_.size());
    commands_.push_back(std::move(spec));
  }
}

std::shared_ptr<const CommandTable> CommandTable::builtin() {
  // Built on first use; C++ guarantees one thread builds it while the others wait.
  static const std::shared_ptr<const CommandTable> table =
      std::make_shared<const CommandTable>(expand_builtin_rows());
  return table;
}

namespace {
// A small direct-mapped cache per thread in front of the case-insensitive hash map: clients send
// the same few names in the same spelling over and over, so an exact byte match on a short name
// answers nearly every lookup without hashing every byte, a modulo and a case-folding compare.
// Trivially constructible, so thread_local costs no guard; zeroed entries never match (serial 0).
struct CachedName {
  std::uint64_t table_serial;
  const CommandSpec* spec;
  std::uint8_t size;
  char name[15];
};
constexpr std::size_t kCachedNames = 64;
thread_local CachedName cached_names[kCachedNames];

// memcmp for the few bytes of a command name, without a call into the C library.
bool same_bytes(const char* a, std::string_view b) {
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

std::size_t cache_slot(std::string_view name) {
  const auto first = static_cast<unsigned char>(name.front());
  const auto last = static_cast<unsigned char>(name.back());
  return (name.size() * 31 + first * 7 + last) & (kCachedNames - 1);
}
}  // namespace

const CommandSpec* CommandTable::find(std::string_view name) const {
  if (!name.empty() && name.size() <= sizeof(CachedName::name)) {
    const CachedName& cached = cached_names[cache_slot(name)];
    if (cached.table_serial == serial_ && cached.size == name.size() &&
        same_bytes(cached.name, name)) {
      return cached.spec;
    }
  }
  return find_and_cache(name);
}

// find() on a cache miss: the case-folding hash map, and the answer cached if it is a command.
const CommandSpec* CommandTable::find_and_cache(std::string_view name) const {
  const auto it = index_.find(name);
  const CommandSpec* spec = it == index_.end() ? nullptr : &commands_[it->second];
  if (spec != nullptr && !name.empty() && name.size() <= sizeof(CachedName::name)) {
    CachedName& cached = cached_names[cache_slot(name)];
    cached.table_serial = serial_;
    cached.spec = spec;
    cached.size = static_cast<std::uint8_t>(name.size());
    std::memcpy(cached.name, name.data(), name.size());
  }
  return spec;
}

const CommandSpec* CommandTable::find_subcommand(const CommandSpec& container,
                                                 std::string_view sub) {
  // Compares each name's tail ("container|<sub>") where it must start, without searching for
  // the bar: a memchr per subcommand cost more than the compares (~750 instructions for one
  // CLIENT command, three of which open every node-redis 6 connection).
  for (const CommandSpec& spec : container.subcommands) {
    const std::string_view name = spec.name;
    if (name.size() < sub.size()) continue;
    const std::size_t start = name.size() - sub.size();
    const bool at_own_name =
        start == 0 ? name.find('|') == std::string_view::npos : name[start - 1] == '|';
    if (at_own_name && iequals(name.substr(start), sub)) return &spec;
  }
  return nullptr;
}

}  // namespace funnel::command
