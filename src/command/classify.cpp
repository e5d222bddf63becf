// classify(): the step between RequestParser and Router. Decides per request whether Funnel
// forwards it on a shared link, answers it, refuses it (dedicated link needed) or rejects it with
// Redis's own error, following DESIGN.md section 5. Allocates only when it writes an error.
#include "command/classify.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "command/ascii.hpp"
#include "common/invariant.hpp"

namespace funnel::command {
namespace {

// Why a command cannot use a shared backend link (the text inside unsupported_error's brackets).
constexpr std::string_view kWhyDedicated = "it needs a dedicated backend connection";
constexpr std::string_view kWhyState =
    "it changes the state of its connection, so it needs a dedicated backend connection";
constexpr std::string_view kWhySubscribe = "subscriptions need a dedicated backend connection";
constexpr std::string_view kWhyReplication = "replication needs a dedicated backend connection";
constexpr std::string_view kWhyWait =
    "it counts the writes of its own connection, which a shared backend connection does not "
    "have; it is served only while the client holds a dedicated backend connection, after "
    "WATCH";
constexpr std::string_view kWhyBlocking = "a blocking command needs a dedicated backend connection";
constexpr std::string_view kWhyModule =
    "a module command not known to be safe needs a dedicated backend connection";

enum class Rule : std::uint8_t { kLocal, kForward, kUnsupported, kXread };

struct NamedRule {
  std::string_view name;  // top-level command name, lower case
  Rule rule;
  LocalCommand local = LocalCommand::kNone;
  std::string_view why = {};
};

// Commands decided by name before their flags are consulted. Kept sorted for binary search.
constexpr std::array kNamedRules = {
    NamedRule{"asking", Rule::kUnsupported, LocalCommand::kNone, kWhyState},
    NamedRule{"auth", Rule::kLocal, LocalCommand::kAuth},
    NamedRule{"client", Rule::kLocal, LocalCommand::kClient},
    NamedRule{"command", Rule::kForward},  // @connection, yet stateless and one reply
    NamedRule{"discard", Rule::kLocal, LocalCommand::kDiscard},
    NamedRule{"echo", Rule::kLocal, LocalCommand::kEcho},
    NamedRule{"exec", Rule::kLocal, LocalCommand::kExec},
    NamedRule{"hello", Rule::kLocal, LocalCommand::kHello},
    NamedRule{"monitor", Rule::kLocal, LocalCommand::kMonitor},
    NamedRule{"multi", Rule::kLocal, LocalCommand::kMulti},
    NamedRule{"ping", Rule::kLocal, LocalCommand::kPing},
    NamedRule{"psubscribe", Rule::kLocal, LocalCommand::kPubsub},
    NamedRule{"psync", Rule::kUnsupported, LocalCommand::kNone, kWhyReplication},
    NamedRule{"publish", Rule::kForward},  // pubsub flag, yet one reply and no state
    NamedRule{"pubsub", Rule::kForward},   // likewise, with all its subcommands
    NamedRule{"punsubscribe", Rule::kLocal, LocalCommand::kPubsub},
    NamedRule{"quit", Rule::kLocal, LocalCommand::kQuit},
    NamedRule{"readonly", Rule::kUnsupported, LocalCommand::kNone, kWhyState},
    NamedRule{"readwrite", Rule::kUnsupported, LocalCommand::kNone, kWhyState},
    NamedRule{"replconf", Rule::kUnsupported, LocalCommand::kNone, kWhyReplication},
    NamedRule{"reset", Rule::kLocal, LocalCommand::kReset},
    NamedRule{"select", Rule::kLocal, LocalCommand::kSelect},
    NamedRule{"spublish", Rule::kForward},
    NamedRule{"ssubscribe", Rule::kLocal, LocalCommand::kPubsub},
    NamedRule{"subscribe", Rule::kLocal, LocalCommand::kPubsub},
    NamedRule{"sunsubscribe", Rule::kLocal, LocalCommand::kPubsub},
    NamedRule{"sync", Rule::kUnsupported, LocalCommand::kNone, kWhyReplication},
    NamedRule{"unsubscribe", Rule::kLocal, LocalCommand::kPubsub},
    NamedRule{"unwatch", Rule::kLocal, LocalCommand::kUnwatch},
    NamedRule{"wait", Rule::kUnsupported, LocalCommand::kNone, kWhyWait},
    NamedRule{"waitaof", Rule::kUnsupported, LocalCommand::kNone, kWhyWait},
    NamedRule{"watch", Rule::kLocal, LocalCommand::kWatch},
    NamedRule{"xread", Rule::kXread},
    NamedRule{"xreadgroup", Rule::kXread},
};
static_assert(std::ranges::is_sorted(kNamedRules, {}, &NamedRule::name));

const NamedRule* find_rule(std::string_view name) {
  const auto* it = std::ranges::lower_bound(kNamedRules, name, {}, &NamedRule::name);
  return (it != kNamedRules.end() && it->name == name) ? it : nullptr;
}

// find_rule() for a table row, remembered per thread: every request needs it, and a binary
// search of string compares costs more than the rest of classify(). Keyed by the table's serial
// as well as the row's address, because a reloaded table may reuse a freed table's addresses.
// Trivially constructible, so thread_local costs no guard; serial 0 never matches.
struct CachedRule {
  std::uint64_t table_serial;
  const CommandSpec* spec;
  const NamedRule* rule;
};
constexpr std::size_t kCachedRules = 64;
thread_local CachedRule cached_rules[kCachedRules];

const NamedRule* find_rule_for(const CommandTable& table, const CommandSpec& spec) {
  const auto slot =
      (reinterpret_cast<std::uintptr_t>(&spec) / sizeof(CommandSpec)) & (kCachedRules - 1);
  CachedRule& cached = cached_rules[slot];
  if (cached.table_serial == table.serial() && cached.spec == &spec) return cached.rule;
  const std::string_view top = std::string_view(spec.name).substr(0, spec.name.find('|'));
  cached = CachedRule{table.serial(), &spec, find_rule(top)};
  return cached.rule;
}

// XREAD/XREADGROUP block only with BLOCK among their options. The options are scanned the way
// Redis 7.0's xreadCommand does, so "XREADGROUP GROUP block c STREAMS ..." (a group named
// "block") is not mistaken for blocking; an option Redis rejects ends the scan, since Redis
// answers that with an error before it could block.
bool xread_blocks(const resp::Request& request, bool group) {
  const std::size_t argc = request.argc();
  for (std::size_t i = 1; i < argc; ++i) {
    const std::size_t more = argc - i - 1;
    const std::string_view option = request.arg(i);
    if (iequals(option, "BLOCK") && more > 0) return true;
    if (iequals(option, "STREAMS") && more > 0) return false;
    if (iequals(option, "COUNT") && more > 0) {
      ++i;
    } else if (group && iequals(option, "GROUP") && more >= 2) {
      i += 2;
    } else if (!(group && iequals(option, "NOACK"))) {
      return false;
    }
  }
  return false;
}

// The flag and category rules for commands not decided by name (DESIGN.md section 5). Redis 6
// marks blocking commands only by the @blocking category, hence both checks.
std::string_view unsafe_by_flags(const CommandSpec& spec) {
  if (spec.has(Flag::kBlocking) || spec.in(AclCategory::kBlocking)) return kWhyBlocking;
  if (spec.in(AclCategory::kTransaction)) return kWhyDedicated;
  if (spec.in(AclCategory::kConnection)) return kWhyState;
  if (spec.has(Flag::kPubsub)) return kWhySubscribe;
  if (spec.has(Flag::kModule)) {
    // A module may block a client without saying so; trust only declared data commands.
    const bool declared = spec.has(Flag::kReadonly) || spec.has(Flag::kWrite);
    if (!declared || spec.has(Flag::kNoMulti)) return kWhyModule;
  }
  return {};
}

// Redis's "%.Ns": at most n bytes, and a C string ends at its first NUL byte.
std::string_view c_string_prefix(std::string_view s, std::size_t n) {
  s = s.substr(0, std::min(n, s.size()));
  return s.substr(0, s.find('\0'));
}

// Redis replaces CR and LF in texts that echo client bytes, so the error stays one line. Two
// memchr scans settle the common case (none) cheaply.
void map_newlines(std::string& text) {
  if (std::memchr(text.data(), '\r', text.size()) == nullptr &&
      std::memchr(text.data(), '\n', text.size()) == nullptr) {
    return;
  }
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
}

bool arity_ok(int arity, std::size_t argc) {
  const auto n = static_cast<long long>(argc);
  return !((arity > 0 && arity != n) || n < -static_cast<long long>(arity));
}

void set_unsupported(const CommandSpec& spec, std::string_view why, Classification& out) {
  std::string name = spec.name;  // "client|tracking" is shown as "CLIENT TRACKING"
  for (char& c : name) c = (c == '|') ? ' ' : ascii_upper(c);
  out.route = Route::kUnsupported;
  out.error = unsupported_error(name, why);
}

// The counts Funnel corrects (client/pubsub_counts.hpp); the other PUBSUB subcommands list names
// or count unique patterns, which Funnel's single subscriber link does not change.
ReplyEdit pubsub_reply_edit(std::string_view name) {
  if (name == "publish") return ReplyEdit::kPublishCount;
  if (name == "spublish") return ReplyEdit::kShardPublishCount;
  if (name == "pubsub|numsub") return ReplyEdit::kNumsubCount;
  if (name == "pubsub|shardnumsub") return ReplyEdit::kShardNumsubCount;
  return ReplyEdit::kNone;
}

void route(const CommandTable& table, const CommandSpec& spec, const resp::Request& request,
           Classification& out) {
  out.read_only = spec.has(Flag::kReadonly);
  std::string_view why;
  if (const NamedRule* named = find_rule_for(table, spec)) {
    switch (named->rule) {
      case Rule::kLocal:
        out.route = Route::kLocal;
        out.local = named->local;
        return;
      case Rule::kForward:
        break;
      case Rule::kUnsupported:
        why = named->why;
        break;
      case Rule::kXread:
        if (xread_blocks(request, named->name == "xreadgroup")) why = kWhyBlocking;
        break;
    }
  } else {
    why = unsafe_by_flags(spec);
  }
  if (!why.empty()) {
    out.blocking = why == kWhyBlocking;
    set_unsupported(spec, why, out);
    return;
  }
  // ACL WHOAMI on a shared link would name Funnel's backend user, not the client's.
  if (spec.name == "acl|whoami") {
    out.route = Route::kLocal;
    out.local = LocalCommand::kAclWhoami;
    return;
  }
  out.route = Route::kForward;
  if (spec.name == "info") {  // INFO has no subcommands
    out.reply_edit = ReplyEdit::kFunnelInfo;
  } else if (spec.has(Flag::kPubsub)) {
    out.reply_edit = pubsub_reply_edit(spec.name);
  }
  // Redis serves these while a script runs; behind that script on a link they would never run.
  out.out_of_band = spec.has(Flag::kAllowBusy);
}

}  // namespace

bool forwards_as_is(const CommandSpec& spec) {
  // What classify() and route() decide for a row with no subcommands, minus the arity check.
  const std::string_view name = spec.name;
  return !spec.is_container() && name != "funnel" && name != "acl|whoami" && name != "info" &&
         !spec.has(Flag::kAllowBusy) && find_rule(name.substr(0, name.find('|'))) == nullptr &&
         unsafe_by_flags(spec).empty();
}

namespace {

// classify() for everything but a plain data command: Funnel's own commands, unknown commands,
// subcommands, arity errors and the rules of route(). Out of line, so that classify()'s common
// path stays small.
[[gnu::noinline]] void classify_general(const CommandTable& table, const resp::Request& request,
                                        const CommandSpec* spec, Classification& out) {
  FUNNEL_INVARIANT(!request.is_empty());
  if (request.is_empty()) {
    out.error = "ERR funnel: empty request";
    return;
  }
  // FUNNEL is Funnel's own command family; no backend has it, so it is decided before lookup.
  if (iequals(request.arg(0), "funnel")) {
    out.route = Route::kLocal;
    out.local = LocalCommand::kFunnel;
    return;
  }
  // Redis's order: look the command up, then its subcommand, then check the resolved arity.
  if (spec == nullptr) {
    out.error = unknown_command_error(request);
    return;
  }
  if (spec->is_container() && request.argc() >= 2) {
    const CommandSpec* sub = CommandTable::find_subcommand(*spec, request.arg(1));
    if (sub == nullptr && iequals(spec->name, "client")) {
      // Funnel answers CLIENT itself, including subcommands newer than the backend (SETINFO on
      // Redis 7.0, which node-redis sends on connect); the handler rejects truly unknown ones.
      out.spec = spec;
      out.route = Route::kLocal;
      out.local = LocalCommand::kClient;
      return;
    }
    if (sub == nullptr) {
      unknown_subcommand_error(request.arg(0), request.arg(1), out.error);
      return;
    }
    spec = sub;
  }
  out.spec = spec;
  if (!arity_ok(spec->arity, request.argc())) {
    out.error = wrong_arity_error(spec->full_name());
    return;
  }
  route(table, *spec, request, out);
}

}  // namespace

void classify(const CommandTable& table, const resp::Request& request, Classification& out) {
  out.route = Route::kReject;
  out.local = LocalCommand::kNone;
  out.spec = nullptr;
  out.read_only = false;
  out.reply_edit = ReplyEdit::kNone;
  out.blocking = false;
  out.out_of_band = false;
  out.error.clear();  // keeps its capacity for the next error
  const CommandSpec* spec = request.is_empty() ? nullptr : table.find(request.arg(0));
  // The common case: a plain data command (see forwards_as_is); the same result as the rules.
  if (spec != nullptr && spec->forward_as_is && arity_ok(spec->arity, request.argc())) [[likely]] {
    out.route = Route::kForward;
    out.spec = spec;
    out.read_only = spec->has(Flag::kReadonly);
    return;
  }
  classify_general(table, request, spec, out);
}

std::string unknown_command_error(const resp::Request& request) {
  std::string text = "ERR unknown command '";
  text.append(c_string_prefix(request.arg(0), 128)).append("', with args beginning with: ");
  // Like Redis: quote arguments while the quoted list is under 128 bytes, cutting the last one.
  std::size_t listed = 0;
  for (std::size_t i = 1; i < request.argc() && listed < 128; ++i) {
    const std::string_view arg = c_string_prefix(request.arg(i), 128 - listed);
    text.append("'").append(arg).append("' ");
    listed += arg.size() + 3;
  }
  map_newlines(text);
  return text;
}

std::string unknown_subcommand_error(std::string_view container, std::string_view sub) {
  std::string text;
  unknown_subcommand_error(container, sub, text);
  return text;
}

// Every node-redis 6 connection gets one (CLIENT MAINT_NOTIFICATIONS): written into the
// caller's reused string, so it costs no allocation per connection.
void unknown_subcommand_error(std::string_view container, std::string_view sub, std::string& text) {
  constexpr std::string_view kHead = "ERR unknown subcommand '";
  constexpr std::string_view kMiddle = "'. Try ";
  constexpr std::string_view kEnd = " HELP.";
  sub = c_string_prefix(sub, 128);
  container = c_string_prefix(container, container.size());
  text.clear();
  text.reserve(kHead.size() + sub.size() + kMiddle.size() + container.size() + kEnd.size());
  text.append(kHead).append(sub).append(kMiddle);
  const std::size_t upper_from = text.size();
  text.append(container);
  for (std::size_t i = upper_from; i < text.size(); ++i) text[i] = ascii_upper(text[i]);
  text.append(kEnd);
  map_newlines(text);
}

std::string wrong_arity_error(std::string_view full_name) {
  std::string text = "ERR wrong number of arguments for '";
  text.append(full_name).append("' command");
  return text;
}

std::string unsupported_error(std::string_view command_name, std::string_view why) {
  std::string text = "ERR funnel: ";
  text.append(command_name).append(" is not supported through Funnel yet (");
  text.append(why).append(")");
  return text;
}

}  // namespace funnel::command
