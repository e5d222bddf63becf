// include_rules: the module order and the cycle search over units (see include_rules.hpp).
#include "include_rules.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>

namespace funnel::layering {
namespace {

std::optional<int> rank_of(std::string_view module) {
  for (const ModuleRank& entry : module_order()) {
    if (entry.name == module) return entry.rank;
  }
  return std::nullopt;
}

bool storm_allowed(std::string_view used) {
  const auto& allowed = storm_may_use();
  return used == "storm" || std::find(allowed.begin(), allowed.end(), used) != allowed.end();
}

// Whether `user` may include `used`; the reason when not.
std::optional<std::string> refusal(std::string_view user, std::string_view used) {
  if (user == used) return std::nullopt;
  if (user == "storm") {
    if (storm_allowed(used)) return std::nullopt;
    return "tools/storm may use only resp/, net/ and common/";
  }
  const auto user_rank = rank_of(user);
  const auto used_rank = rank_of(used);
  if (!user_rank) return std::string(user) + " is not in the module order";
  if (!used_rank) return std::string(used) + " is not in the module order";
  if (*used_rank < *user_rank) return std::nullopt;
  return std::string(used) + " is not below " + std::string(user) + " in the module order";
}

// "src/client/reply_queue.hpp" -> "client/reply_queue.hpp": the name others include it by.
std::string include_name(std::string_view path) {
  for (std::string_view root : {"src/", "tools/"}) {
    if (path.substr(0, root.size()) == root) path.remove_prefix(root.size());
  }
  return std::string(path);
}

}  // namespace

const std::vector<ModuleRank>& module_order() {
  static const std::vector<ModuleRank> order = {
      {"common", 0},  {"resp", 1},     {"command", 2},   {"routing", 3}, {"config", 4},
      {"metrics", 4}, {"security", 5}, {"plan", 6},      {"tls", 7},     {"net", 8},
      {"aws", 8},     {"backend", 9},  {"topology", 10}, {"client", 10}, {"server", 11}};
  return order;
}

const std::vector<std::string_view>& storm_may_use() {
  static const std::vector<std::string_view> allowed = {"common", "resp", "net"};
  return allowed;
}

std::string module_of_path(std::string_view path) {
  for (std::string_view root : {"src/", "tools/"}) {
    if (path.substr(0, root.size()) != root) continue;
    path.remove_prefix(root.size());
    const std::size_t slash = path.find('/');
    return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
  }
  return {};
}

std::string module_of_include(std::string_view include) {
  const std::size_t slash = include.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(include.substr(0, slash));
}

std::vector<std::string> order_violations(const std::vector<SourceFile>& files) {
  std::vector<std::string> found;
  for (const SourceFile& file : files) {
    const std::string user = module_of_path(file.path);
    for (const std::string& include : file.includes) {
      const std::string used = module_of_include(include);
      if (used.empty()) continue;  // a file of the same folder, included without its module
      if (auto reason = refusal(user, used)) {
        found.push_back(file.path + " includes \"" + include + "\": " + *reason);
      }
    }
  }
  return found;
}

std::vector<std::string> link_violations(std::string_view module,
                                         const std::vector<std::string>& deps) {
  std::vector<std::string> found;
  for (const std::string& dep : deps) {
    if (auto reason = refusal(module, dep)) {
      found.push_back(std::string(module) + " links funnel_" + dep + ": " + *reason);
    }
  }
  return found;
}

// Depth-first search over the include graph; each back edge closes a cycle and is reported
// (enough to name every cycle a bad include makes). Includes without a folder name a file of the
// includer's own folder.
std::vector<std::string> file_cycles(const std::vector<SourceFile>& files) {
  std::map<std::string, std::set<std::string>> edges;
  for (const SourceFile& file : files) {
    const std::string from = include_name(file.path);
    const std::string folder = from.substr(0, from.rfind('/') + 1);
    auto& out = edges[from];
    for (const std::string& include : file.includes) {
      out.insert(module_of_include(include).empty() ? folder + include : include);
    }
  }
  enum class Mark { kNew, kOnPath, kDone };
  std::map<std::string, Mark> marks;
  std::vector<std::string> path;
  std::vector<std::string> found;
  std::function<void(const std::string&)> visit = [&](const std::string& file) {
    marks[file] = Mark::kOnPath;
    path.push_back(file);
    if (auto it = edges.find(file); it != edges.end()) {
      for (const std::string& next : it->second) {
        if (marks[next] == Mark::kOnPath) {
          std::string cycle;
          for (auto at = std::find(path.begin(), path.end(), next); at != path.end(); ++at) {
            cycle += *at + " -> ";
          }
          found.push_back(cycle + next);
        } else if (marks[next] == Mark::kNew) {
          visit(next);
        }
      }
    }
    path.pop_back();
    marks[file] = Mark::kDone;
  };
  for (const auto& [file, out] : edges) {
    if (marks[file] == Mark::kNew) visit(file);
  }
  return found;
}

}  // namespace funnel::layering
