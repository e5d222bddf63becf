// libFuzzer target for the step after RequestParser: arbitrary client bytes are parsed into
// requests and each complete one is classified against the built-in table; the same bytes are
// also read as a reply and offered to CommandTable::from_command_reply. Nothing may crash, and
// classify()'s common path (rows marked forward_as_is) must answer as the general rules do.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "command/classify.hpp"
#include "resp/value.hpp"

using namespace funnel;

namespace {

// The built-in rows with forward_as_is cleared, so every request takes the general rules. The
// table object is not const, so writing through commands() is well defined (test-only switch).
std::unique_ptr<command::CommandTable> rules_only_table() {
  auto table =
      std::make_unique<command::CommandTable>(command::CommandTable::builtin()->commands());
  for (const command::CommandSpec& spec : table->commands()) {
    const_cast<command::CommandSpec&>(spec).forward_as_is = false;
  }
  return table;
}

bool same(const command::Classification& a, const command::Classification& b) {
  const bool same_spec = (a.spec == nullptr) == (b.spec == nullptr) &&
                         (a.spec == nullptr || a.spec->name == b.spec->name);
  return a.route == b.route && a.local == b.local && same_spec && a.read_only == b.read_only &&
         a.reply_edit == b.reply_edit && a.blocking == b.blocking && a.error == b.error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto table = command::CommandTable::builtin();
  static const auto rules = rules_only_table();
  std::string_view buf(reinterpret_cast<const char*>(data), size);

  resp::Value reply;
  std::size_t reply_size = 0;
  if (resp::parse_value(buf, reply, reply_size) == resp::ValueStatus::kComplete) {
    std::string error;
    (void)command::CommandTable::from_command_reply(reply, &error);
  }

  resp::RequestParser parser;
  command::Classification out;
  command::Classification by_rules;
  while (!buf.empty() && parser.parse(buf) == resp::ParseStatus::kComplete) {
    if (!parser.request().is_empty()) {
      command::classify(*table, parser.request(), out);
      command::classify(*rules, parser.request(), by_rules);
      if (!same(out, by_rules)) std::abort();
    }
    if (parser.consumed() == 0) break;  // a parser bug, not ours to loop on
    buf.remove_prefix(parser.consumed());
  }
  return 0;
}
