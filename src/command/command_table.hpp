// The command table: one row per command (name, arity, flags, ACL categories, key positions),
// loaded from the primary's own COMMAND reply so any Redis/Valkey version and its modules are
// understood. A built-in table (generated from redis-server 7.0's COMMAND) only bootstraps.
// Immutable once built; shared between worker threads through std::shared_ptr<const ...>.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "resp/value.hpp"

namespace funnel::command {

// clang-format off
// Command flags as COMMAND reports them (Redis 7 names).
enum class Flag : std::uint32_t {
  kWrite = 1u << 0, kReadonly = 1u << 1, kDenyOom = 1u << 2, kModule = 1u << 3,
  kAdmin = 1u << 4, kPubsub = 1u << 5, kNoscript = 1u << 6, kBlocking = 1u << 7,
  kLoading = 1u << 8, kStale = 1u << 9, kSkipMonitor = 1u << 10, kSkipSlowlog = 1u << 11,
  kAsking = 1u << 12, kFast = 1u << 13, kNoAuth = 1u << 14, kMayReplicate = 1u << 15,
  kSentinel = 1u << 16, kOnlySentinel = 1u << 17, kNoMandatoryKeys = 1u << 18,
  kProtected = 1u << 19, kMovableKeys = 1u << 20, kNoMulti = 1u << 21, kAllowBusy = 1u << 22,
  kNoAsyncLoading = 1u << 23,
};

// ACL categories as COMMAND reports them ("@read" ...).
enum class AclCategory : std::uint32_t {
  kKeyspace = 1u << 0, kRead = 1u << 1, kWrite = 1u << 2, kSet = 1u << 3, kSortedSet = 1u << 4,
  kList = 1u << 5, kHash = 1u << 6, kString = 1u << 7, kBitmap = 1u << 8,
  kHyperLogLog = 1u << 9, kGeo = 1u << 10, kStream = 1u << 11, kPubsub = 1u << 12,
  kAdmin = 1u << 13, kFast = 1u << 14, kSlow = 1u << 15, kBlocking = 1u << 16,
  kDangerous = 1u << 17, kConnection = 1u << 18, kTransaction = 1u << 19, kScripting = 1u << 20,
};
// clang-format on

// Maps a COMMAND flag / ACL category name to its bit; 0 when unknown (ignored, never an error).
std::uint32_t flag_from_name(std::string_view name);
std::uint32_t acl_category_from_name(std::string_view name);  // with or without the leading '@'

// clang-format off
struct CommandSpec {
  std::string name;        // lower case; subcommands as "container|sub", e.g. "config|get"
  int arity = 0;           // Redis convention: N exact, -N at least N (name included)
  std::uint32_t flags = 0;
  std::uint32_t acl = 0;
  int first_key = 0, last_key = 0, key_step = 0;
  std::vector<CommandSpec> subcommands;  // non-empty for containers (CONFIG, CLIENT, ...)
  // Stable small number for the top-level command name (metrics labels); subcommands share their
  // container's. See command_id().
  std::uint16_t id = 0;
  // Set by CommandTable: classify() forwards this command on a shared link with no check but its
  // arity (no subcommands, no rule by name, no flag that needs a dedicated link). Saves the
  // general rules on nearly every request (GET, SET, HGET ...). See forwards_as_is().
  bool forward_as_is = false;

  bool has(Flag f) const { return (flags & static_cast<std::uint32_t>(f)) != 0; }
  bool in(AclCategory c) const { return (acl & static_cast<std::uint32_t>(c)) != 0; }
  bool is_container() const { return !subcommands.empty(); }
  // The user-facing name used in Redis's error texts ("config|get", "get").
  const std::string& full_name() const { return name; }
};
// clang-format on

// Process-wide ids for command names, stable across table reloads, so per-worker counters can
// be arrays indexed by id. Id 0 is "other" (unknown commands, and names past the cap).
// Thread-safe; called when tables are built, never per request.
inline constexpr std::size_t kMaxCommandIds = 1024;
std::uint16_t command_id(std::string_view lower_case_name);
// The names by id (index 0 is "other"), for the metrics exposition.
std::vector<std::string> command_id_names();

class CommandTable {
 public:
  CommandTable() = default;
  explicit CommandTable(std::vector<CommandSpec> commands);
  // Not copyable or movable: find()'s per-thread cache keys entries by serial_ and points into
  // commands_, so two tables must never share a serial.
  CommandTable(const CommandTable&) = delete;
  CommandTable& operator=(const CommandTable&) = delete;

  // Built-in bootstrap table (Redis 7.0's commands).
  static std::shared_ptr<const CommandTable> builtin();

  // Builds a table from a COMMAND reply (RESP2 or RESP3; Redis 6.0+ and Valkey entry layouts).
  // Returns nullptr and sets *error when the reply is not a COMMAND reply.
  static std::shared_ptr<const CommandTable> from_command_reply(const resp::Value& reply,
                                                                std::string* error);

  // Case-insensitive lookup of a top-level command; no allocation. nullptr if unknown.
  const CommandSpec* find(std::string_view name) const;
  // Case-insensitive lookup of a subcommand of a container (sub is e.g. "get"). nullptr if unknown.
  static const CommandSpec* find_subcommand(const CommandSpec& container, std::string_view sub);

  std::size_t size() const { return commands_.size(); }
  const std::vector<CommandSpec>& commands() const { return commands_; }
  // Unique per table built in this process (never 0): a key for per-thread caches.
  std::uint64_t serial() const { return serial_; }

 private:
  // Case-insensitive and transparent, so find() takes any spelling without lower-casing a copy.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const;
  };
  struct NameEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
  };

  [[gnu::noinline]] const CommandSpec* find_and_cache(std::string_view name) const;

  std::vector<CommandSpec> commands_;
  std::unordered_map<std::string, std::size_t, NameHash, NameEqual> index_;  // name -> position
  // Unique per table built in this process, never reused (unlike an address): keys the
  // per-thread lookup cache in find().
  std::uint64_t serial_ = next_serial();
  static std::uint64_t next_serial();
};

}  // namespace funnel::command
