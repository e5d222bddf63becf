// libFuzzer target for the step after RequestParser: arbitrary client bytes are parsed into
// requests and each complete one is classified against the built-in table; the same bytes are
// also read as a reply and offered to CommandTable::from_command_reply. Nothing may crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "command/classify.hpp"
#include "resp/value.hpp"

using namespace funnel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto table = command::CommandTable::builtin();
  std::string_view buf(reinterpret_cast<const char*>(data), size);

  resp::Value reply;
  std::size_t reply_size = 0;
  if (resp::parse_value(buf, reply, reply_size) == resp::ValueStatus::kComplete) {
    std::string error;
    (void)command::CommandTable::from_command_reply(reply, &error);
  }

  resp::RequestParser parser;
  command::Classification out;
  while (!buf.empty() && parser.parse(buf) == resp::ParseStatus::kComplete) {
    if (!parser.request().is_empty()) command::classify(*table, parser.request(), out);
    if (parser.consumed() == 0) break;  // a parser bug, not ours to loop on
    buf.remove_prefix(parser.consumed());
  }
  return 0;
}
