#pragma once

#include <string_view>
#include <vector>

namespace lp {

/// Finds where each top-level member of a JSON object lies in its text, in order: from the
/// key's opening quote to the end of its value. For text a full parse already accepted; it
/// only finds boundaries (strings, nesting) and returns false for anything it cannot follow.
///
/// Our own because the DOM of Debian's simdjson (3.0.1) keeps no source positions, and
/// serializing every value again cost the processor more than all else it does.
[[nodiscard]] bool FindTopLevelMembers(std::string_view object,
                                       std::vector<std::string_view>& members);

}  // namespace lp
