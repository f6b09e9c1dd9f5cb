#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lp {

/// Milliseconds since the Unix epoch, UTC.
using EpochMillis = int64_t;

/// Parses an RFC 3339 date-time ("2025-10-30T12:34:56.789Z", "...+05:30"); fractions beyond
/// milliseconds are truncated. Returns nothing for anything that is not a valid RFC 3339 time.
[[nodiscard]] std::optional<EpochMillis> ParseRfc3339(std::string_view text);

/// Formats as RFC 3339 in UTC with exactly three fraction digits: "2025-10-30T12:34:56.789Z".
[[nodiscard]] std::string FormatRfc3339Millis(EpochMillis millis);
/// The same, appended to `out` without a temporary.
void AppendRfc3339Millis(std::string& out, EpochMillis millis);

}  // namespace lp
