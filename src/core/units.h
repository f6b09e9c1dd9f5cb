#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lp {

/// Parses sizes such as "10485760", "10MiB", "256KiB", "1GiB", "64MB" (decimal units too).
[[nodiscard]] std::optional<uint64_t> ParseByteSize(std::string_view text);

/// Parses durations such as "500ms", "60s", "15m", "12h", "7d"; a bare number is seconds.
[[nodiscard]] std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

[[nodiscard]] std::string FormatByteSize(uint64_t bytes);

}  // namespace lp
