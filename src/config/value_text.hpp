// Internal to the config module: how values are parsed from text (sizes with units) and shown in
// error messages (TOML quoting, "key = value" vs "--flag=value"), plus typo hints.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace funnel::config {

// `what` names a key ("server.workers") or a flag ("--workers"); flags start with "--".
bool is_flag(const std::string& what);
// "server.workers = 5" for keys, "--workers=5" for flags; `literal` is shown as given.
std::string show(const std::string& what, const std::string& literal);
// Like show(), for a string value: TOML-quoted for keys, raw for flags (as typed on the shell).
std::string show_text(const std::string& what, const std::string& text);
std::string quote(std::string_view text);  // a TOML basic string literal, control chars escaped
std::string lower(std::string_view text);  // ASCII only

// "64mb", "1 GB", "512kib", "1048576": 1024-based units, case-insensitive. Throws ConfigError
// naming `what` for anything else; a value too large for 64 bits comes back as UINT64_MAX so the
// caller's range check reports it.
std::uint64_t parse_size(const std::string& text, const std::string& what);
std::string format_size(std::uint64_t bytes);  // "64mb" when a unit divides it, else "1000"

// The candidate closest to `word` by edit distance, or "" when none is close (typo hints).
std::string closest(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace funnel::config
