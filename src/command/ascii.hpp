// The command module's names for common/ascii.hpp's case folding (its files say
// command::iequals, command::ascii_upper, ...).
#pragma once

#include "common/ascii.hpp"

namespace funnel::command {

using common::ascii_lower;
using common::ascii_upper;
using common::iequals;

}  // namespace funnel::command
