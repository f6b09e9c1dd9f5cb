#include "collector/event_writer.h"

#include <array>
#include <utility>

#include "core/json_escape.h"
#include "core/level.h"

namespace lp::collector {
namespace {

bool EqualsIgnoringCase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

constexpr std::array<std::pair<std::string_view, Level>, 17> kAliases{{
    {"emerg", Level::kFatal},
    {"emergency", Level::kFatal},
    {"alert", Level::kFatal},
    {"crit", Level::kFatal},
    {"panic", Level::kFatal},
    {"err", Level::kError},
    {"eror", Level::kError},
    {"wrn", Level::kWarn},
    {"notice", Level::kInfo},
    {"information", Level::kInfo},
    {"informational", Level::kInfo},
    {"inf", Level::kInfo},
    {"dbg", Level::kDebug},
    {"trc", Level::kTrace},
    {"verbose", Level::kTrace},
    {"fine", Level::kDebug},
    {"severe", Level::kError},
}};

void AppendStringField(std::string& out, std::string_view name, std::string_view value) {
  out += '"';
  out += name;
  out += "\":\"";
  AppendJsonEscaped(out, value);
  out += "\",";
}

}  // namespace

void JsonMembers::AddKey(std::string_view key) {
  if (!text_.empty()) text_ += ',';
  text_ += '"';
  AppendJsonEscaped(text_, key);
  text_ += "\":";
}

void JsonMembers::AddString(std::string_view key, std::string_view value) {
  AddKey(key);
  text_ += '"';
  AppendJsonEscaped(text_, value);
  text_ += '"';
}

void JsonMembers::AddRaw(std::string_view key, std::string_view json) {
  AddKey(key);
  text_ += json;
}

void EventFields::Clear() {
  id = timestamp = service = level = message = host = trace_id = span_id = request_id = {};
  timestamp_ms.reset();
  labels.Clear();
  payload.Clear();
}

std::string_view LevelFromName(std::string_view name) {
  if (const auto level = ParseLevel(name)) return LevelName(*level);
  for (const auto& [alias, level] : kAliases) {
    if (EqualsIgnoringCase(name, alias)) return LevelName(level);
  }
  return LevelName(Level::kInfo);
}

void WriteEvent(const EventFields& fields, std::string& out) {
  out.clear();
  out += '{';
  if (!fields.id.empty()) AppendStringField(out, "_id", fields.id);
  if (fields.timestamp_ms) {
    out += "\"timestamp\":\"";
    AppendRfc3339Millis(out, *fields.timestamp_ms);
    out += "\",";
  } else if (!fields.timestamp.empty()) {
    AppendStringField(out, "timestamp", fields.timestamp);
  }
  AppendStringField(out, "service", fields.service.empty() ? "unknown" : fields.service);
  AppendStringField(out, "level", LevelFromName(fields.level));
  AppendStringField(out, "message", fields.message);
  if (!fields.host.empty()) AppendStringField(out, "host", fields.host);
  if (!fields.trace_id.empty()) AppendStringField(out, "trace_id", fields.trace_id);
  if (!fields.span_id.empty()) AppendStringField(out, "span_id", fields.span_id);
  if (!fields.request_id.empty()) AppendStringField(out, "request_id", fields.request_id);
  if (!fields.labels.empty()) {
    out += "\"labels\":{";
    out += fields.labels.text();
    out += "},";
  }
  if (!fields.payload.empty()) {
    out += "\"payload\":{";
    out += fields.payload.text();
    out += "},";
  }
  out.back() = '}';
}

}  // namespace lp::collector
