// Internal to the config module: reading the config file and the secret files at start, with
// errors that name the file and the system's reason.
#pragma once

#include <cstddef>
#include <string>

namespace funnel::config {

// Reads all of `path` (at most `max_bytes`; a larger file is refused, so a mistaken path such as
// /dev/urandom cannot hang the start). Throws ConfigError "<subject>: cannot open ...: <errno
// text>"; `subject` names the key or flag and the path, and the message never shows the content.
std::string read_small_file(const std::string& path, std::size_t max_bytes,
                            const std::string& subject);

}  // namespace funnel::config
