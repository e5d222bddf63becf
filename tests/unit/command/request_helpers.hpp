// Test helpers for the command module: requests made the way ClientSession makes them (by
// RequestParser from client bytes), and a count of heap allocations to prove the forward path
// allocates nothing.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "resp/request_parser.hpp"

namespace funnel::command::test {

// Parses one request from bytes it owns; the Request's views point into those bytes, so the
// object is neither copied nor moved.
class ParsedRequest {
 public:
  // Encodes args as a multibulk request first.
  explicit ParsedRequest(const std::vector<std::string>& args) : bytes_(encode(args)) { parse(); }
  // An inline command line such as "ping\r\n".
  struct Inline {};
  ParsedRequest(Inline, std::string line) : bytes_(std::move(line)) { parse(); }
  ParsedRequest(const ParsedRequest&) = delete;
  ParsedRequest& operator=(const ParsedRequest&) = delete;

  const resp::Request& get() const { return parser_.request(); }
  resp::ParseStatus status() const { return status_; }

  static std::string encode(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const std::string& arg : args) {
      out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
    }
    return out;
  }

 private:
  void parse() { status_ = parser_.parse(bytes_); }

  std::string bytes_;
  resp::RequestParser parser_;
  resp::ParseStatus status_ = resp::ParseStatus::kInvalid;
};

// Heap allocations made by this thread so far (alloc_counter.cpp replaces operator new).
std::size_t allocations();

}  // namespace funnel::command::test
