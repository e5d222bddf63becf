// parse_invocation: the command line (CLI11) laid over the config file, then finalize(). CLI11
// never exits the process itself: usage errors and --help come back as Action::kExit.
#include <map>

#include <CLI/CLI.hpp>

#include "config/config.hpp"
#include "config/file_reader.hpp"
#include "config/key_table.hpp"
#include "config/value_text.hpp"

#ifndef FUNNEL_VERSION
#define FUNNEL_VERSION "0.1.0"  // keep in step with project(VERSION) in the top CMakeLists.txt
#endif

namespace funnel::config {
namespace {

constexpr std::size_t kMaxConfigBytes = 16 << 20;
constexpr int kUsageExitCode = 2;  // the shell convention for a command-line usage error

// Every value flag is collected as a list so that a repeated flag is reported, not silently
// resolved by "last one wins".
struct CommandLine {
  std::map<std::string, std::vector<std::string>, std::less<>> values;  // by flag name
  std::string check_file;
  CLI::Option* check_option = nullptr;
  bool takeover = false;
};

std::string metavar(const KeySpec& spec) {
  switch (spec.kind) {
    case KeyKind::kAddress:
      return "HOST:PORT";
    case KeyKind::kAddressList:
      return "HOST:PORT";
    case KeyKind::kSize:
      return "SIZE";
    case KeyKind::kLogLevel:
      return "LEVEL";
    case KeyKind::kChoice: {
      std::string words;
      for (std::string_view word : spec.choices)
        words += (words.empty() ? "" : "|") + std::string(word);
      return words;
    }
    case KeyKind::kText:
      if (spec.name.ends_with("_socket")) return "PATH";
      return spec.name.ends_with("_file") ? "FILE" : "NAME";
    default:
      return "N";
  }
}

// What a flag is for, where "sets key" alone would not say it (the topology sources).
std::string_view flag_purpose(std::string_view flag) {
  if (flag == "--backend") return "the Redis primary (or give --discover, or --sentinel)";
  if (flag == "--replica") return "a replica of the --backend primary; repeat for each";
  if (flag == "--discover") return "any node or endpoint: Funnel learns the primary and replicas";
  if (flag == "--sentinel") return "a Sentinel to ask for the primary; repeat for each";
  if (flag == "--sentinel-master") return "the master name the sentinels monitor";
  if (flag == "--cluster") return "a Redis Cluster node or configuration endpoint; repeat for each";
  if (flag == "--cluster-announce") return "the address Funnel gives for itself in CLUSTER replies";
  if (flag == "--near-cache") return "cache reads of keys under this prefix; repeat for each";
  if (flag == "--takeover-socket") return "where a running Funnel hands its sockets to --takeover";
  return {};
}

std::string flag_help(const KeySpec& spec) {
  Config defaults;
  std::string value = current_value(spec, defaults);
  std::string help = "sets " + spec.key();
  std::string_view purpose = flag_purpose(spec.flag);
  if (!purpose.empty()) help = std::string(purpose) + "; " + help;
  if (spec.key() == "backend.address") return help;
  if (spec.kind == KeyKind::kInteger || spec.kind == KeyKind::kSize) {
    help += " (" + std::string(spec.unit) + ")";
  }
  if (spec.kind == KeyKind::kLogLevel) help += " (trace, debug, info, warn, error, off)";
  bool none = value == "\"\"" || value == "[]";
  return help + "; default " + (none ? std::string("none") : value);
}

// Switches that may be given without a value ("--backend-tls" means "--backend-tls 1").
bool is_switch(std::string_view flag) {
  return flag == "--backend-tls" || flag == "--coalesce";
}

void add_value_flag(CLI::App& app, CommandLine& line, const std::string& flag,
                    const std::string& type, const std::string& help) {
  app.add_option(flag, line.values[flag], help)
      ->type_name(is_switch(flag) ? "[0|1]" : type)
      ->expected(is_switch(flag) ? 0 : 1, 1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void define_options(CLI::App& app, CommandLine& line) {
  add_value_flag(app, line, "--config", "FILE", "the TOML config file (docs/configuration.md)");
  line.check_option = app.add_option("--check-config", line.check_file,
                                     "validate FILE (or the --config file) together with the other "
                                     "flags, then exit without serving")
                          ->type_name("[FILE]")
                          ->expected(0, 1);
  app.add_flag(
      "--takeover", line.takeover,
      "take over the listening sockets of the Funnel running with the same "
      "server.takeover_socket (hot restart, binary upgrade): it stops accepting and closes "
      "its idle clients over server.takeover_drain_ms (docs/deployment.md)");
  for (const KeySpec& spec : all_keys()) {
    if (!spec.flag.empty()) {
      add_value_flag(app, line, std::string(spec.flag), metavar(spec), flag_help(spec));
    }
  }
  app.set_version_flag("--version", "funnel " FUNNEL_VERSION);
  app.footer(
      "Give the backend one way: --backend HOST:PORT (plus --replica HOST:PORT for each replica),\n"
      "--discover HOST:PORT, --sentinel HOST:PORT --sentinel-master NAME (docs/topology.md), or\n"
      "--cluster HOST:PORT for a Redis Cluster (docs/cluster.md).\n"
      "Flags override the config file, which overrides the defaults. Secrets may also come from\n"
      "the environment: FUNNEL_REQUIREPASS, FUNNEL_BACKEND_PASSWORD, FUNNEL_SENTINEL_PASSWORD\n"
      "(a file wins over them). Every key: docs/configuration.md; an example: "
      "contrib/funnel.toml.\n"
      "funnel iam-token --help: print an ElastiCache/MemoryDB IAM auth token (docs/aws.md).");
}

[[noreturn]] void given_twice(const std::string& flag, const std::vector<std::string>& values) {
  if (flag == "--backend") {
    throw ConfigError(
        "--backend was given twice: --backend names the one primary; give each replica with "
        "--replica HOST:PORT, or let Funnel find them with --discover HOST:PORT or --sentinel "
        "HOST:PORT --sentinel-master NAME");
  }
  std::string shown;
  for (const std::string& value : values) shown += (shown.empty() ? "" : ", ") + value;
  throw ConfigError(flag + " was given " + std::to_string(values.size()) + " times (" + shown +
                    "): give it once");
}

const std::string* single_value(const CommandLine& line, const std::string& flag) {
  const std::vector<std::string>& values = line.values.find(flag)->second;
  if (values.size() > 1) given_twice(flag, values);
  return values.empty() ? nullptr : &values.front();
}

// --check-config FILE, or --config FILE --check-config; naming two different files is an error.
std::string config_path(const CommandLine& line) {
  const std::string* config_file = single_value(line, "--config");
  const std::string& check_file = line.check_file;
  if (config_file != nullptr && !check_file.empty() && *config_file != check_file) {
    throw ConfigError("--config " + *config_file + " and --check-config " + check_file +
                      " name different files: name the file once, as --check-config FILE");
  }
  if (!check_file.empty()) return check_file;
  return config_file != nullptr ? *config_file : std::string();
}

Config load_config_file(const std::string& path, const std::string& flag) {
  std::string text = read_small_file(path, kMaxConfigBytes, show_text(flag, path));
  Config config = load_toml(text, path);
  config.source_file = path;
  return config;
}

void apply_flags(const CommandLine& line, Config& config) {
  for (const KeySpec& spec : all_keys()) {
    if (spec.flag.empty()) continue;
    const std::string flag(spec.flag);
    // List keys take the flag once per item; the items replace the file's list.
    if (spec.kind == KeyKind::kAddressList) {
      const std::vector<std::string>& values = line.values.find(flag)->second;
      if (!values.empty()) apply_list(spec, config, values, flag);
      continue;
    }
    // --near-cache PREFIX, once per prefix: the prefixes replace the file's, and the cache is on.
    if (flag == "--near-cache") {
      const std::vector<std::string>& values = line.values.find(flag)->second;
      if (values.empty()) continue;
      std::string joined;
      for (const std::string& v : values) joined += (joined.empty() ? "" : " ") + v;
      apply_text(spec, config, joined, flag);
      config.shield.near_cache = 1;
      continue;
    }
    if (const std::string* value = single_value(line, flag)) {
      apply_text(spec, config, value->empty() && is_switch(flag) ? "1" : *value, flag);
    }
  }
}

// `funnel iam-token --user NAME --cache ID --region REGION [--serverless] [--memorydb] [--at T]`
// (argv starts at "iam-token"). It reads no config file: it needs only these and the AWS chain.
Invocation parse_iam_token_command(int argc, const char* const* argv) {
  CLI::App app{
      "Prints the ElastiCache/MemoryDB IAM auth token for a user, signed with the AWS "
      "credentials of the environment (docs/aws.md).",
      "funnel iam-token"};
  Invocation invocation;
  IamTokenOptions& options = invocation.iam_token;
  app.add_option("--user", options.user, "the IAM-enabled user id")->required();
  app.add_option("--cache", options.cache_id,
                 "the replication group, serverless cache or MemoryDB cluster name")
      ->required();
  app.add_option("--region", options.region, "the cache's AWS region")->required();
  app.add_flag("--serverless", options.serverless, "the cache is ElastiCache Serverless");
  bool memorydb = false;
  app.add_flag("--memorydb", memorydb, "sign for MemoryDB instead of ElastiCache");
  app.add_option("--at", options.at, "sign for this instant (ISO-8601 UTC) instead of now");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    invocation.action = Invocation::Action::kExit;
    invocation.exit_code = app.exit(error) == 0 ? 0 : kUsageExitCode;
    return invocation;
  }
  if (memorydb) options.service = "memorydb";
  invocation.action = Invocation::Action::kIamToken;
  return invocation;
}

}  // namespace

Invocation parse_invocation(int argc, const char* const* argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "iam-token") {
    return parse_iam_token_command(argc - 1, argv + 1);
  }
  CLI::App app{
      "Funnel: a Redis-protocol proxy that serves many clients over a few pipelined "
      "backend connections.",
      "funnel"};
  CommandLine line;
  define_options(app, line);
  Invocation invocation;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    invocation.action = Invocation::Action::kExit;
    invocation.exit_code = app.exit(error) == 0 ? 0 : kUsageExitCode;
    return invocation;
  }
  std::string path = config_path(line);
  const char* flag = line.check_file.empty() ? "--config" : "--check-config";
  invocation.config = path.empty() ? Config{} : load_config_file(path, flag);
  apply_flags(line, invocation.config);
  finalize(invocation.config);
  invocation.action =
      line.check_option->count() > 0 ? Invocation::Action::kCheckConfig : Invocation::Action::kRun;
  invocation.takeover = line.takeover;
  return invocation;
}

}  // namespace funnel::config
