#pragma once

#include <string>
#include <string_view>

namespace lp {

/// Appends `text` to `out` as the inside of a JSON string literal.
void AppendJsonEscaped(std::string& out, std::string_view text);

}  // namespace lp
