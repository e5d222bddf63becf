// The source tree keeps its module order (DESIGN.md section 2) and has no include cycles: the
// rules are checked on made-up trees (so each can be seen to fail), then on the real one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "include_rules.hpp"
#include "include_scan.hpp"

namespace funnel::layering {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct OrderCase {
  const char* name;
  SourceFile file;
  bool allowed;
  friend void PrintTo(const OrderCase& row, std::ostream* out) { *out << row.name; }
};

class OrderTest : public ::testing::TestWithParam<OrderCase> {};

TEST_P(OrderTest, IncludeFollowsTheModuleOrder) {
  const OrderCase& row = GetParam();
  const auto found = order_violations({row.file});
  if (row.allowed) {
    EXPECT_THAT(found, IsEmpty());
  } else {
    EXPECT_THAT(found, SizeIs(1));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rules, OrderTest,
    ::testing::Values(
        OrderCase{"SameModule", {"src/client/a.cpp", {"client/b.hpp"}}, true},
        OrderCase{"SameFolderBareName", {"src/client/a.cpp", {"a.hpp"}}, true},
        OrderCase{"Below", {"src/backend/a.cpp", {"net/transport.hpp", "resp/writer.hpp"}}, true},
        OrderCase{"ServerUsesAll", {"src/server/a.cpp", {"client/a.hpp", "topology/b.hpp"}}, true},
        OrderCase{"Above", {"src/net/poller.cpp", {"client/client_session.hpp"}}, false},
        OrderCase{"BackendUsesClient", {"src/backend/a.hpp", {"client/a.hpp"}}, false},
        OrderCase{"PeersClientTopology", {"src/client/a.cpp", {"topology/a.hpp"}}, false},
        OrderCase{"PeersConfigMetrics", {"src/metrics/a.cpp", {"config/config.hpp"}}, false},
        OrderCase{"UnknownModule", {"src/client/a.cpp", {"planner/plan.hpp"}}, false},
        OrderCase{"PlanBelowTls", {"src/plan/a.cpp", {"tls/client_tls.hpp"}}, false},
        OrderCase{"ClientUsesPlan", {"src/client/a.cpp", {"plan/plan.hpp"}}, true},
        OrderCase{"StormUsesNet", {"tools/storm/a.hpp", {"net/asio_types.hpp"}}, true},
        OrderCase{"StormUsesResp", {"tools/storm/a.cpp", {"resp/reply_framer.hpp"}}, true},
        OrderCase{"StormUsesBackend", {"tools/storm/a.hpp", {"backend/asio_types.hpp"}}, false}),
    [](const ::testing::TestParamInfo<OrderCase>& info) { return std::string(info.param.name); });

TEST(LinkRulesTest, LinkingAgainstTheOrderIsReported) {
  EXPECT_THAT(link_violations("client", {"backend", "net", "resp"}), IsEmpty());
  EXPECT_THAT(link_violations("net", {"backend"}),
              ElementsAre(HasSubstr("net links funnel_backend")));
  EXPECT_THAT(link_violations("storm", {"resp", "net", "backend"}),
              ElementsAre(HasSubstr("storm links funnel_backend")));
}

TEST(FileCyclesTest, NoCycleInALayeredTree) {
  EXPECT_THAT(file_cycles({{"src/client/a.cpp", {"client/a.hpp", "client/b.hpp"}},
                           {"src/client/a.hpp", {"client/b.hpp"}},
                           {"src/client/b.hpp", {"net/c.hpp"}},
                           {"src/net/c.cpp", {"net/c.hpp"}}}),
              IsEmpty());
}

TEST(FileCyclesTest, HeadersIncludingEachOtherAreACycle) {
  EXPECT_THAT(
      file_cycles({{"src/client/a.hpp", {"client/b.hpp"}}, {"src/client/b.hpp", {"client/a.hpp"}}}),
      ElementsAre("client/a.hpp -> client/b.hpp -> client/a.hpp"));
}

TEST(FileCyclesTest, LongerCyclesAndBareNamesAreFound) {
  EXPECT_THAT(
      file_cycles(
          {{"src/a/x.hpp", {"a/y.hpp"}}, {"src/a/y.hpp", {"z.hpp"}}, {"src/a/z.hpp", {"a/x.hpp"}}}),
      ElementsAre("a/x.hpp -> a/y.hpp -> a/z.hpp -> a/x.hpp"));
}

// Source files are never included, so two .cpp files that include each other's headers are no
// cycle here; across modules the order forbids one direction (the poller in net/ may not include
// client/client_session.hpp: OrderTest's "Above").
TEST(FileCyclesTest, SourcesIncludingEachOthersHeadersAreNoFileCycle) {
  EXPECT_THAT(
      file_cycles({{"src/client/a.cpp", {"client/b.hpp"}}, {"src/client/b.cpp", {"client/a.hpp"}}}),
      IsEmpty());
}

TEST(IncludeScanTest, QuotedIncludesOnly) {
  EXPECT_THAT(quoted_includes("#include <vector>\n#include \"net/transport.hpp\"\n"
                              "  #  include \"client/a.hpp\" // why\n// #include \"x/y.hpp\"\n"),
              ElementsAre("net/transport.hpp", "client/a.hpp"));
}

TEST(IncludeScanTest, LinkedModulesSkipHelpersAndOwnTargets) {
  EXPECT_THAT(linked_modules("funnel_module(backend SOURCES a.cpp DEPS funnel_net funnel_resp "
                             "funnel_asio funnel_options spdlog::spdlog funnel_backend)",
                             {"backend"}),
              ElementsAre("net", "resp"));
}

// The real tree. A failure names the include (or link) and the rule it breaks.
TEST(SourceTreeTest, EveryIncludeFollowsTheModuleOrder) {
  const auto files = scan_sources(FUNNEL_SOURCE_DIR);
  ASSERT_THAT(files, SizeIs(::testing::Gt(100u)));
  EXPECT_THAT(order_violations(files), IsEmpty());
}

TEST(SourceTreeTest, NoIncludeCycles) {
  EXPECT_THAT(file_cycles(scan_sources(FUNNEL_SOURCE_DIR)), IsEmpty());
}

TEST(SourceTreeTest, EveryModuleLinksAlongTheOrder) {
  const auto links = scan_module_links(FUNNEL_SOURCE_DIR);
  std::set<std::string> ordered;
  for (const ModuleRank& module : module_order()) ordered.insert(std::string(module.name));
  for (const auto& [module, deps] : links) {
    if (module != "storm") {
      EXPECT_TRUE(ordered.count(module)) << "src/" << module << " is not in the module order";
    }
    EXPECT_THAT(link_violations(module, deps), IsEmpty());
  }
  EXPECT_TRUE(links.count("net"));
}

}  // namespace
}  // namespace funnel::layering
