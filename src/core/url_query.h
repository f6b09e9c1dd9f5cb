#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lp {

/// Parses `a=1&b=two+words&c=%C3%A9` into a map, decoding percent escapes and '+'. Returns
/// nothing for a malformed escape. A repeated name keeps its last value.
[[nodiscard]] std::optional<std::map<std::string, std::string>> ParseUrlQuery(
    std::string_view query);

}  // namespace lp
