#pragma once

#include <optional>
#include <string_view>

namespace lp {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kFatal };

/// Accepts the level names of DESIGN §4 in any case, with WARNING and CRITICAL as aliases.
[[nodiscard]] std::optional<Level> ParseLevel(std::string_view text);

/// The normalized upper-case name: "WARN" for WARNING, "FATAL" for CRITICAL.
[[nodiscard]] std::string_view LevelName(Level level);

}  // namespace lp
