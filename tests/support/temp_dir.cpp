// Test fixtures (funnel::test): TempDir, see temp_dir.hpp.
#include "support/temp_dir.hpp"

#include <fstream>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "support/net.hpp"

namespace funnel::test {

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + ".XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw_errno("TempDir: mkdtemp " + pattern);
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (keep_requested()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

bool TempDir::keep_requested() {
  const char* keep = std::getenv("FUNNEL_TEST_KEEP_TMP");
  return keep != nullptr && std::string(keep) == "1";
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
  const std::string path = file(name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace funnel::test
