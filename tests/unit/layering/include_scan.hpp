// Reads the real tree for include_rules: the quoted includes of every source file under src/ and
// tools/, and the funnel_<module> libraries each module's CMakeLists.txt links.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "include_rules.hpp"

namespace funnel::layering {

// The quoted includes of one file's text, as written.
std::vector<std::string> quoted_includes(std::string_view text);
// The funnel_<name> targets a CMakeLists.txt names, without the prefix, minus the helpers that
// are not modules (funnel_module, funnel_options, funnel_asio) and `own` targets.
std::vector<std::string> linked_modules(std::string_view cmake_text,
                                        const std::vector<std::string_view>& own);

// Every .hpp / .cpp under root/src and root/tools, with its includes.
std::vector<SourceFile> scan_sources(const std::string& root);
// The folder names under root/src that hold a CMakeLists.txt (the modules), and what each links.
std::map<std::string, std::vector<std::string>> scan_module_links(const std::string& root);

}  // namespace funnel::layering
