#include "processor/normalizer.h"

#include "core/json_escape.h"

namespace lp::processor {
namespace {

void AppendKey(std::string& out, std::string_view key) {
  out += '"';
  AppendJsonEscaped(out, key);
  out.push_back('"');
  out.push_back(':');
}

void AppendString(std::string& out, std::string_view value) {
  out += '"';
  AppendJsonEscaped(out, value);
  out += '"';
}

}  // namespace

search::SearchDocument Normalizer::Normalize(const ValidatedEvent& event, std::string id,
                                             EpochMillis record_timestamp_ms,
                                             EpochMillis ingested_at_ms) const {
  search::SearchDocument document;
  document.id = std::move(id);
  document.timestamp_ms = event.timestamp.value_or(record_timestamp_ms);
  document.service = std::string(event.service);
  document.level = std::string(LevelName(event.level));

  std::string& json = document.json;
  json.push_back('{');
  AppendKey(json, "timestamp");
  AppendString(json, FormatRfc3339Millis(document.timestamp_ms));
  simdjson::dom::object object;
  if (event.root.get_object().get(object) == simdjson::SUCCESS) {
    for (const auto field : object) {
      if (field.key == "timestamp" || field.key == "ingested_at") continue;
      json += ',';
      AppendKey(json, field.key);
      if (field.key == "level") {
        AppendString(json, document.level);
      } else {
        json += simdjson::minify(field.value);
      }
      if (field.key == "message") {
        std::string_view message;
        if (field.value.get_string().get(message) == simdjson::SUCCESS) {
          document.message = std::string(message);
        }
      }
    }
  }
  json += ',';
  AppendKey(json, "ingested_at");
  AppendString(json, FormatRfc3339Millis(ingested_at_ms));
  json += '}';
  return document;
}

}  // namespace lp::processor
