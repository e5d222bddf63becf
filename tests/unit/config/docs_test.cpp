// Keeps the user-facing documents true: every key in the key table is documented in
// docs/configuration.md with its default and flag, and contrib/funnel.toml sets it to its default.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "config/key_table.hpp"
#include "config/reload_keys.hpp"
#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::HasSubstr;

std::string read_source_file(const std::string& relative) {
  std::ifstream in(std::string(FUNNEL_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(in) << relative;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The table row of docs/configuration.md that documents `key`: "| `server.listen` | ...".
std::string doc_row(const std::string& doc, const std::string& key) {
  std::size_t at = doc.find("| `" + key + "` |");
  if (at == std::string::npos) return "";
  return doc.substr(at, doc.find('\n', at) - at);
}

TEST(DocsTest, EveryKeyIsDocumentedWithItsDefaultAndFlag) {
  const std::string doc = read_source_file("docs/configuration.md");
  Config defaults;
  for (const KeySpec& spec : all_keys()) {
    std::string row = doc_row(doc, spec.key());
    ASSERT_FALSE(row.empty()) << spec.key() << " has no row in docs/configuration.md";
    std::string value = current_value(spec, defaults);
    if (value != "\"\"") {
      EXPECT_THAT(row, HasSubstr("`" + value + "`")) << spec.key();
    }
    if (!spec.flag.empty()) {
      EXPECT_THAT(row, HasSubstr("`" + std::string(spec.flag))) << spec.key();
    }
    const ReloadRule* rule = find_reload_rule(spec.key());
    ASSERT_NE(rule, nullptr) << spec.key();
    EXPECT_THAT(row, HasSubstr(" | " + std::string(reload_word(rule->when)) + " | "))
        << spec.key() << ": the reload column must match config/reload_keys.cpp";
  }
  for (const char* topic :
       {"FUNNEL_REQUIREPASS", "FUNNEL_BACKEND_PASSWORD", "FUNNEL_SENTINEL_PASSWORD", "topology.md",
        "--check-config", "## Limits that differ from Redis", "client-query-buffer-limit"}) {
    EXPECT_THAT(doc, HasSubstr(topic));
  }
}

TEST(DocsTest, ExampleFileSetsEveryKeyToItsDefault) {
  const std::string path = std::string(FUNNEL_SOURCE_DIR) + "/contrib/funnel.toml";
  const std::string text = read_source_file("contrib/funnel.toml");
  Config loaded = load_toml(text, path);
  Config defaults;
  toml::table parsed = toml::parse(text, path);
  for (const KeySpec& spec : all_keys()) {
    EXPECT_EQ(current_value(spec, loaded), current_value(spec, defaults)) << spec.key();
    // The backend has no default; the example shows it commented out.
    if (spec.key() == "backend.address") continue;
    EXPECT_TRUE(parsed[spec.table][spec.name]) << spec.key() << " missing from the example";
  }
  EXPECT_THAT(text, HasSubstr("# address = \""));
}

TEST(DocsTest, ExampleFilePassesCheckConfigWithABackend) {
  const std::string path = std::string(FUNNEL_SOURCE_DIR) + "/contrib/funnel.toml";
  ScopedEnv clients("FUNNEL_REQUIREPASS", std::nullopt);
  ScopedEnv backend("FUNNEL_BACKEND_PASSWORD", std::nullopt);
  Invocation check = invoke({"--check-config", path, "--backend", "127.0.0.1:6379"});
  EXPECT_EQ(check.action, Invocation::Action::kCheckConfig);
}

}  // namespace
}  // namespace funnel::config
