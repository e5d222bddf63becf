// cursor_use() (see cursor.hpp).
#include "routing/cursor.hpp"

#include "command/ascii.hpp"

namespace funnel::routing {

CursorUse cursor_use(const resp::Request& request) {
  if (request.argc() < 2) return CursorUse::kNone;
  const std::string_view name = request.arg(0);
  std::size_t cursor_arg = 0;
  if (command::iequals(name, "scan")) {
    cursor_arg = 1;
  } else if (command::iequals(name, "hscan") || command::iequals(name, "sscan") ||
             command::iequals(name, "zscan")) {
    cursor_arg = 2;
  } else {
    return CursorUse::kNone;
  }
  if (request.argc() <= cursor_arg) return CursorUse::kNone;
  return request.arg(cursor_arg) == "0" ? CursorUse::kStart : CursorUse::kContinue;
}

}  // namespace funnel::routing
