#include "core/units.h"

#include <array>
#include <charconv>
#include <utility>

namespace lp {
namespace {

struct Split {
  uint64_t number;
  std::string_view unit;
};

std::optional<Split> SplitNumber(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{} || end == text.data()) return std::nullopt;
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return Split{number, unit};
}

std::optional<uint64_t> Multiply(uint64_t number, uint64_t factor) {
  if (factor != 0 && number > UINT64_MAX / factor) return std::nullopt;
  return number * factor;
}

}  // namespace

std::optional<uint64_t> ParseByteSize(std::string_view text) {
  const auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 10> kUnits{{
      {"", 1},
      {"B", 1},
      {"KiB", 1ULL << 10},
      {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30},
      {"TiB", 1ULL << 40},
      {"KB", 1000ULL},
      {"MB", 1000ULL * 1000},
      {"GB", 1000ULL * 1000 * 1000},
      {"TB", 1000ULL * 1000 * 1000 * 1000},
  }};
  for (const auto& [unit, factor] : kUnits) {
    if (split->unit == unit) return Multiply(split->number, factor);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  const auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 6> kUnits{{
      {"", 1000},
      {"ms", 1},
      {"s", 1000},
      {"m", 60'000},
      {"h", 3'600'000},
      {"d", 86'400'000},
  }};
  for (const auto& [unit, factor] : kUnits) {
    if (split->unit == unit) {
      const auto millis = Multiply(split->number, factor);
      if (!millis || *millis > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return std::chrono::milliseconds(static_cast<int64_t>(*millis));
    }
  }
  return std::nullopt;
}

std::string FormatByteSize(uint64_t bytes) {
  static constexpr std::array<std::string_view, 5> kUnits{"B", "KiB", "MiB", "GiB", "TiB"};
  size_t unit = 0;
  while (unit + 1 < kUnits.size() && bytes >= 1024 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return std::to_string(bytes) + std::string(kUnits[unit]);
}

}  // namespace lp
