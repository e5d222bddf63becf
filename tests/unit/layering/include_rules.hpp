// The include rules of the source tree, as data and pure functions (no file system here): the
// module order a module may include along (DESIGN.md section 2), what tools/storm may use, and
// file-level include cycles. include_scan.cpp feeds them the real tree; layering_test.cpp checks
// both the rules (on made-up trees) and the tree.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace funnel::layering {

// One source file: its path from the repository root ("src/client/client_session.cpp") and its
// quoted includes as written ("client/reply_queue.hpp").
struct SourceFile {
  std::string path;
  std::vector<std::string> includes;
};

// A module and its rank: a module may use itself and modules of a lower rank only, so two
// modules of one rank (config and metrics; topology and client) may not use each other.
struct ModuleRank {
  std::string_view name;
  int rank;
};

// src/CMakeLists.txt's order: common <- resp <- command <- routing <- (config, metrics) <-
// security <- plan <- tls <- net <- backend <- (topology, client) <- server.
const std::vector<ModuleRank>& module_order();
// The modules tools/storm may use: the load tool reuses the protocol and the transport layer,
// never the proxy's backend/ (it measures Funnel; it must not share its bugs).
const std::vector<std::string_view>& storm_may_use();

// The module a path belongs to ("src/net/poller.cpp" -> "net", "tools/storm/x.cpp" -> "storm";
// an include "backend/x.hpp" -> "backend"); empty if none.
std::string module_of_path(std::string_view path);
std::string module_of_include(std::string_view include);

// One message per include that goes against the order (or names a module the order lacks).
std::vector<std::string> order_violations(const std::vector<SourceFile>& files);
// One message per link dependency (`funnel_<module>` in a module's CMakeLists.txt) against the
// order: `module` is the one whose CMakeLists.txt names `deps`.
std::vector<std::string> link_violations(std::string_view module,
                                         const std::vector<std::string>& deps);
// Include cycles between files (headers that include each other, directly or through others),
// one message per cycle found, naming its files in order ("a/x.hpp -> b/y.hpp -> a/x.hpp").
// Two modules cannot use each other anyway (order_violations): this finds cycles inside one.
std::vector<std::string> file_cycles(const std::vector<SourceFile>& files);

}  // namespace funnel::layering
