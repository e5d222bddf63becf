// The words of a configuration list ("get hget, mget" or "app: cfg:"): separated by spaces,
// commas or tabs, empty words skipped. Shared by the lists of the [shield] settings.
#pragma once

#include <string_view>
#include <vector>

namespace funnel::common {

inline std::vector<std::string_view> split_words(std::string_view list) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < list.size()) {
    const std::size_t start = list.find_first_not_of(" ,\t", i);
    if (start == std::string_view::npos) break;
    std::size_t end = list.find_first_of(" ,\t", start);
    if (end == std::string_view::npos) end = list.size();
    words.push_back(list.substr(start, end - start));
    i = end;
  }
  return words;
}

}  // namespace funnel::common
