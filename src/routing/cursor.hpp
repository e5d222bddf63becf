// SCAN-family cursors: which requests start a cursor and which continue one (so the router can
// send a continuation to the node that issued the cursor). No I/O.
#pragma once

#include <string_view>

#include "resp/request_parser.hpp"

namespace funnel::routing {

enum class CursorUse : unsigned char { kNone, kStart, kContinue };

// SCAN cursor ...; HSCAN/SSCAN/ZSCAN key cursor ... . Cursor "0" starts, anything else continues.
CursorUse cursor_use(const resp::Request& request);

}  // namespace funnel::routing
