// A strict little HTML checker for the report tests: every non-void element is closed in
// order, attributes are quoted, and nothing loads from outside (no scripts, no src/href URLs).
#pragma once

#include <string>
#include <string_view>

namespace funnel::storm::testing {

// "" if html is well-formed by those rules, else what is wrong and where.
std::string check_html(std::string_view html);

}  // namespace funnel::storm::testing
