#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lp {

/// Parses `a=1&b=two+words&c=%C3%A9` into a map, decoding percent escapes and '+'. Returns
/// nothing for a malformed escape. A repeated name keeps its last value.
[[nodiscard]] std::optional<std::map<std::string, std::string>> ParseUrlQuery(
    std::string_view query);

/// The reverse: `name=value` pairs joined by '&', everything but unreserved characters
/// (RFC 3986: letters, digits, `-._~`) percent-escaped.
[[nodiscard]] std::string EncodeUrlQuery(
    const std::vector<std::pair<std::string, std::string>>& parameters);

}  // namespace lp
