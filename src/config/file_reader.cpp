// Reads the config file and secret files with plain POSIX calls, so that every failure can say
// exactly why (errno), including the cases an ifstream hides (a directory, a read error).
#include "config/file_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/config.hpp"
#include "config/value_text.hpp"

namespace funnel::config {
namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string read_small_file(const std::string& path, std::size_t max_bytes,
                            const std::string& subject) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    throw ConfigError(subject + ": cannot open the file: " + std::strerror(errno) +
                      " (check the path, and that the user running funnel may read it)");
  }
  std::string data;
  char chunk[4096];
  for (;;) {
    ssize_t n = ::read(file.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ConfigError(subject + ": cannot read the file: " + std::strerror(errno));
    if (n == 0) return data;
    data.append(chunk, static_cast<std::size_t>(n));
    if (data.size() > max_bytes) {
      throw ConfigError(subject + ": the file is larger than " + format_size(max_bytes) +
                        ", which is more than this file should ever hold: check the path");
    }
  }
}

}  // namespace funnel::config
