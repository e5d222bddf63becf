// A minimal streaming JSON writer for result.json: objects, arrays, strings (escaped per RFC
// 8259), integers and doubles (NaN and infinities become null). No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace funnel::storm {

// The JSON string literal for s, quotes included.
std::string json_quote(std::string_view s);

// Contract: calls must nest correctly (every begin_* closed by its end_*, a key() before each
// value inside an object); the writer does not check. str() is valid once all are closed.
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(double d);
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(std::uint64_t n);
  JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  // An array of numbers on one line (the series).
  JsonWriter& numbers(const std::vector<double>& values);

  const std::string& str() const { return out_; }

 private:
  void before_value();
  void newline();

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace funnel::storm
