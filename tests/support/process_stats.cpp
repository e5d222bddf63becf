// Reading /proc for process_stats.hpp.
#include "support/process_stats.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string_view>

namespace funnel::test {
namespace {

std::string fd_dir(pid_t pid) {
  return "/proc/" + std::to_string(pid) + "/fd";
}

// Calls fn(name) for each entry of the process's fd directory.
template <typename Fn>
void for_each_descriptor(pid_t pid, Fn&& fn) {
  DIR* dir = ::opendir(fd_dir(pid).c_str());
  if (dir == nullptr) return;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') fn(std::string(entry->d_name));
  }
  ::closedir(dir);
}

// For each TCP socket the process can see (inode -> "local-port>remote-port state"), from
// /proc/PID/net/tcp and tcp6: says which connection an unexpected socket descriptor is.
std::map<std::string, std::string> tcp_sockets(pid_t pid) {
  std::map<std::string, std::string> sockets;
  for (const char* table : {"/net/tcp", "/net/tcp6"}) {
    std::ifstream file("/proc/" + std::to_string(pid) + table);
    std::string line;
    std::getline(file, line);  // the header
    while (std::getline(file, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      const auto port = [](const std::string& address) {
        return std::to_string(std::stoul(address.substr(address.rfind(':') + 1), nullptr, 16));
      };
      if (!inode.empty() && local.find(':') != std::string::npos) {
        sockets[inode] = port(local) + ">" + port(remote) + " st" + state;
      }
    }
  }
  return sockets;
}

}  // namespace

std::size_t open_descriptors(pid_t pid) {
  std::size_t count = 0;
  for_each_descriptor(pid, [&](const std::string&) { ++count; });
  return count;
}

std::string describe_descriptors(pid_t pid) {
  const std::map<std::string, std::string> sockets = tcp_sockets(pid);
  std::string text;
  for_each_descriptor(pid, [&](const std::string& name) {
    char target[256] = {};
    if (::readlink((fd_dir(pid) + "/" + name).c_str(), target, sizeof target - 1) <= 0) return;
    text += name + "->" + target;
    const std::string_view link(target);
    if (link.rfind("socket:[", 0) == 0) {
      const auto found = sockets.find(std::string(link.substr(8, link.size() - 9)));
      if (found != sockets.end()) text += "(" + found->second + ")";
    }
    text += " ";
  });
  return text;
}

std::uint64_t status_bytes(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

long cpu_ms(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces.
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return (utime + stime) * 1000 / ::sysconf(_SC_CLK_TCK);
}

}  // namespace funnel::test
