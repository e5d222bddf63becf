// The report tests' HTML checker (see html_check.hpp).
#include "html_check.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace funnel::storm::testing {
namespace {

constexpr std::array<std::string_view, 6> kVoid = {"meta", "br", "img", "input", "link", "hr"};

bool is_void(std::string_view name) {
  return std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end();
}

std::string tag_name(std::string_view tag) {
  std::string name;
  for (char c : tag) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '>') break;
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

// Attribute values must be quoted: after every '=' inside a tag comes a '"'.
bool attributes_quoted(std::string_view tag) {
  bool in_quotes = false;
  for (std::size_t i = 0; i < tag.size(); ++i) {
    if (tag[i] == '"') in_quotes = !in_quotes;
    if (!in_quotes && tag[i] == '=' && (i + 1 >= tag.size() || tag[i + 1] != '"')) return false;
  }
  return !in_quotes;
}

}  // namespace

std::string check_html(std::string_view html) {
  if (html.find("<script") != std::string_view::npos) return "contains a <script>";
  for (std::string_view bad : {"src=\"http", "href=\"http", "@import", "url("}) {
    if (html.find(bad) != std::string_view::npos)
      return "loads an external resource: " + std::string(bad);
  }
  std::vector<std::string> open;
  std::size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string_view::npos) {
    const std::size_t end = html.find('>', pos);
    if (end == std::string_view::npos) return "unterminated tag at " + std::to_string(pos);
    const std::string_view tag = html.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.starts_with("!")) continue;  // <!DOCTYPE html>
    if (!attributes_quoted(tag)) return "unquoted attribute in <" + std::string(tag) + ">";
    if (tag.starts_with("/")) {
      const std::string name = tag_name(tag.substr(1));
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes <" + (open.empty() ? "nothing" : open.back()) + ">";
      }
      open.pop_back();
      continue;
    }
    const std::string name = tag_name(tag);
    if (name.empty()) return "empty tag name at " + std::to_string(pos);
    if (tag.ends_with("/") || is_void(name)) continue;
    open.push_back(name);
    if (name == "style") {  // CSS may contain '<' or '>' characters: skip to its end
      pos = html.find("</style>", pos);
      if (pos == std::string_view::npos) return "unterminated <style>";
    }
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return "";
}

}  // namespace funnel::storm::testing
