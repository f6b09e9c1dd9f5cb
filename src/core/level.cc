#include "core/level.h"

#include <array>
#include <utility>

namespace lp {
namespace {

bool EqualsIgnoringCase(std::string_view text, std::string_view upper) {
  if (text.size() != upper.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

constexpr std::array<std::pair<std::string_view, Level>, 8> kNames{{
    {"TRACE", Level::kTrace},
    {"DEBUG", Level::kDebug},
    {"INFO", Level::kInfo},
    {"WARN", Level::kWarn},
    {"WARNING", Level::kWarn},
    {"ERROR", Level::kError},
    {"FATAL", Level::kFatal},
    {"CRITICAL", Level::kFatal},
}};

}  // namespace

std::optional<Level> ParseLevel(std::string_view text) {
  for (const auto& [name, level] : kNames) {
    if (EqualsIgnoringCase(text, name)) return level;
  }
  return std::nullopt;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kTrace:
      return "TRACE";
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarn:
      return "WARN";
    case Level::kError:
      return "ERROR";
    case Level::kFatal:
      return "FATAL";
  }
  return "INFO";
}

}  // namespace lp
