// CommandPolicy: the default deny list and auth.deny_commands parsing.
#include "security/command_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>

namespace funnel::security {
namespace {

// Commands that change or stop the whole server, reveal its secrets, or act on other clients.
// CONFIG is denied whole: CONFIG GET shows the backend's requirepass and masterauth. SCRIPT KILL
// and FUNCTION KILL are not on it: they only stop a running script, and are the one way out of
// a runaway script (Funnel sends them out of band, see backend_pool.cpp).
constexpr std::array<std::string_view, 36> kDefaultDenied = {
    "flushall",
    "flushdb",
    "config",
    "debug",
    "shutdown",
    "monitor",
    "replicaof",
    "slaveof",
    "failover",
    "save",
    "bgsave",
    "bgrewriteaof",
    "module",
    "client|kill",
    "client|pause",  // server-wide: stops every client's writes (or everything)
    "client|unpause",
    "acl|setuser",
    "acl|deluser",
    "acl|load",
    "acl|save",
    "acl|getuser",  // shows password hashes
    "acl|list",     // likewise
    "cluster|addslots",
    "cluster|addslotsrange",
    "cluster|bumpepoch",
    "cluster|delslots",
    "cluster|delslotsrange",
    "cluster|failover",
    "cluster|flushslots",
    "cluster|forget",
    "cluster|meet",
    "cluster|replicate",
    "cluster|reset",
    "cluster|saveconfig",
    "cluster|set-config-epoch",
    "cluster|setslot",
};

std::string lower(std::string_view word) {
  std::string out(word);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view top_name(std::string_view full) {
  return full.substr(0, full.find('|'));
}

}  // namespace

std::span<const std::string_view> CommandPolicy::default_denied() {
  return kDefaultDenied;
}

void CommandPolicy::add(std::string_view name) {
  if (std::find(names_.begin(), names_.end(), name) == names_.end()) names_.emplace_back(name);
}

void CommandPolicy::remove(std::string_view name) {
  std::erase(names_, name);
}

std::string CommandPolicy::parse(std::string_view text) {
  names_.clear();
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    std::size_t end = pos;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    const std::string word = lower(text.substr(pos, end - pos));
    pos = end;
    if (word.empty()) continue;
    if (word == "@default") {
      for (std::string_view name : kDefaultDenied) add(name);
    } else if (word.front() == '-' && word.size() > 1) {
      remove(std::string_view(word).substr(1));
    } else if (word.front() == '@' || word.front() == '-' || word.front() == '|' ||
               word.back() == '|') {
      return "'" + word + "' is not a command name (write e.g. flushall or cluster|meet; " +
             "@default for the built-in list)";
    } else {
      add(word);
    }
  }
  rebuild_ids();
  return {};
}

void CommandPolicy::rebuild_ids() {
  sorted_ = names_;
  std::sort(sorted_.begin(), sorted_.end());
  maybe_.reset();
  whole_.reset();
  for (const std::string& name : names_) {
    maybe_.set(command::command_id(top_name(name)));
    if (top_name(name).size() == name.size()) whole_.set(command::command_id(name));
  }
  whole_.reset(0);
  scripts_.reset();
  for (std::string_view name :
       {"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "function"}) {
    scripts_.set(command::command_id(name));
  }
  scripts_.reset(0);
  checked_ = maybe_ | scripts_;
}

bool CommandPolicy::denies(const command::CommandSpec& spec) const {
  // Id 0 ("other": names past the id cap) cannot be trusted to be clear, so it takes the slow path.
  if (spec.id != 0 && !maybe_.test(spec.id)) return false;
  // CLIENT's bit is set (client|kill ...), and every node-redis 6 connection sends three CLIENT
  // commands: a bit says whether the command itself is listed, and a binary search of the sorted
  // names looks for the subcommand (a scan of the 36 default names cost ~400 instructions).
  const std::string_view top = top_name(spec.name);
  const auto named = [this](std::string_view name) {
    return std::binary_search(sorted_.begin(), sorted_.end(), name, std::less<>());
  };
  const bool sub = top.size() != spec.name.size();
  if (spec.id != 0) return whole_.test(spec.id) || (sub && named(spec.name));
  return named(spec.name) || (sub && named(top));
}

}  // namespace funnel::security
