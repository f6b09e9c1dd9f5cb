#include "search/search_store.h"

#include <charconv>

namespace lp::search {

std::string FormatCursor(const Position& position) {
  return std::to_string(position.timestamp_ms) + ":" + position.id;
}

Result<Position> ParseCursor(std::string_view cursor) {
  const auto colon = cursor.find(':');
  Position position;
  const char* end = cursor.data() + (colon == std::string_view::npos ? 0 : colon);
  const auto parsed = std::from_chars(cursor.data(), end, position.timestamp_ms);
  if (colon == std::string_view::npos || colon == 0 || parsed.ec != std::errc{} ||
      parsed.ptr != end || colon + 1 == cursor.size()) {
    return Permanent("invalid cursor \"" + std::string(cursor) +
                     "\": use the cursor of the previous page");
  }
  position.id = std::string(cursor.substr(colon + 1));
  return position;
}

Result<void> CheckGroupingField(std::string_view field) {
  const auto kind = ClassifyField(field);
  if (!kind || *kind == FieldKind::kText || *kind == FieldKind::kTimestamp) {
    return Permanent("field: \"" + std::string(field) +
                     "\" cannot be grouped on; use level, service, host, trace_id, request_id, "
                     "labels.*, geo.* or payload.*");
  }
  return {};
}

}  // namespace lp::search
