// include_scan: file-system side of the layering test (see include_scan.hpp).
#include "include_scan.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace funnel::layering {
namespace fs = std::filesystem;
namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::vector<std::string> quoted_includes(std::string_view text) {
  std::vector<std::string> found;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    const std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line.substr(start, 1) != "#") continue;
    line.remove_prefix(start + 1);
    line.remove_prefix(std::min(line.find_first_not_of(" \t"), line.size()));
    if (line.substr(0, 7) != "include") continue;
    const std::size_t open = line.find('"');
    const std::size_t close = open == std::string_view::npos ? open : line.find('"', open + 1);
    if (close == std::string_view::npos) continue;  // <system> headers
    found.emplace_back(line.substr(open + 1, close - open - 1));
  }
  return found;
}

std::vector<std::string> linked_modules(std::string_view cmake_text,
                                        const std::vector<std::string_view>& own) {
  static const std::vector<std::string_view> kNotModules = {"module", "options", "asio"};
  std::vector<std::string> found;
  constexpr std::string_view kPrefix = "funnel_";
  for (std::size_t at = cmake_text.find(kPrefix); at != std::string_view::npos;
       at = cmake_text.find(kPrefix, at + 1)) {
    if (at > 0 && (std::isalnum(static_cast<unsigned char>(cmake_text[at - 1])) ||
                   cmake_text[at - 1] == '_' || cmake_text[at - 1] == '-')) {
      continue;  // part of a longer name (test_funnel_x, FUNNEL_...)
    }
    std::size_t end = at + kPrefix.size();
    while (end < cmake_text.size() &&
           (std::isalnum(static_cast<unsigned char>(cmake_text[end])) || cmake_text[end] == '_')) {
      ++end;
    }
    const std::string_view name = cmake_text.substr(at + kPrefix.size(), end - at - kPrefix.size());
    if (name.empty() ||
        std::find(kNotModules.begin(), kNotModules.end(), name) != kNotModules.end() ||
        std::find(own.begin(), own.end(), name) != own.end()) {
      continue;
    }
    if (std::find(found.begin(), found.end(), name) == found.end()) found.emplace_back(name);
  }
  return found;
}

std::vector<SourceFile> scan_sources(const std::string& root) {
  std::vector<SourceFile> files;
  for (const char* top : {"src", "tools"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(root) / top)) {
      const std::string extension = entry.path().extension().string();
      if (!entry.is_regular_file() || (extension != ".hpp" && extension != ".cpp")) continue;
      const std::string relative = fs::relative(entry.path(), root).generic_string();
      files.push_back(SourceFile{relative, quoted_includes(read_text(entry.path()))});
    }
  }
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  return files;
}

std::map<std::string, std::vector<std::string>> scan_module_links(const std::string& root) {
  std::map<std::string, std::vector<std::string>> links;
  for (const auto& entry : fs::directory_iterator(fs::path(root) / "src")) {
    const fs::path cmake = entry.path() / "CMakeLists.txt";
    if (!entry.is_directory() || !fs::exists(cmake)) continue;
    const std::string module = entry.path().filename().string();
    links[module] = linked_modules(read_text(cmake), {module});
  }
  links["storm"] = linked_modules(read_text(fs::path(root) / "tools/storm/CMakeLists.txt"),
                                  {"storm", "storm_io"});
  return links;
}

}  // namespace funnel::layering
