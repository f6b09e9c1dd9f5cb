#include "processor/normalizer.h"

#include <utility>

#include "core/json_escape.h"
#include "core/json_members.h"

namespace lp::processor {
namespace {

// The reserved member holding an event's own document id (docs/PROTOCOLS.md).
constexpr std::string_view kDocumentIdField = "_id";

void AppendKey(std::string& out, std::string_view key) {
  out += '"';
  AppendJsonEscaped(out, key);
  out.push_back('"');
  out.push_back(':');
}

}  // namespace

std::optional<std::string_view> Normalizer::IpAddressOf(const ValidatedEvent& event) {
  std::string_view address;
  if (event.root["payload"]["ip_address"].get_string().get(address) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return address;
}

search::SearchDocument Normalizer::Normalize(const ValidatedEvent& event, std::string_view raw,
                                             std::string id, EpochMillis record_timestamp_ms,
                                             EpochMillis ingested_at_ms, const GeoLocation* geo) {
  search::SearchDocument document;
  document.id = std::move(id);
  document.timestamp_ms = event.timestamp.value_or(record_timestamp_ms);
  document.service = std::string(event.service);
  document.level = std::string(LevelName(event.level));
  if (ingested_at_ms != formatted_ingested_at_ms_) {
    formatted_ingested_at_ms_ = ingested_at_ms;
    formatted_ingested_at_ = FormatRfc3339Millis(ingested_at_ms);
  }

  std::string& json = document.json;
  json.reserve(raw.size() + 192);
  json += R"({"timestamp":")";
  AppendRfc3339Millis(json, document.timestamp_ms);
  json.push_back('"');
  simdjson::dom::object object;
  if (event.root.get_object().get(object) == simdjson::SUCCESS) {
    // The DOM's fields come in the text's order, so field i is member i: names are compared
    // unescaped, values copied raw.
    const bool raw_members = FindTopLevelMembers(raw, members_) && members_.size() == object.size();
    size_t index = 0;
    for (const auto field : object) {
      const size_t member = index++;
      if (field.key == "timestamp" || field.key == "ingested_at") continue;
      if (field.key == kDocumentIdField) {
        std::string_view own_id;
        if (field.value.get_string().get(own_id) == simdjson::SUCCESS && !own_id.empty()) {
          document.id = std::string(own_id);
        }
        continue;
      }
      if (geo != nullptr && field.key == "geo") continue;
      json.push_back(',');
      if (field.key == "level") {
        json += R"("level":")";
        json += document.level;
        json.push_back('"');
        continue;
      }
      if (field.key == "message") {
        std::string_view message;
        if (field.value.get_string().get(message) == simdjson::SUCCESS) {
          document.message = std::string(message);
        }
      }
      if (raw_members) {
        json += members_[member];
      } else {
        AppendKey(json, field.key);
        json += simdjson::minify(field.value);
      }
    }
  }
  if (geo != nullptr) {
    json.push_back(',');
    AppendKey(json, "geo");
    AppendGeoJson(json, *geo);
  }
  json += R"(,"ingested_at":")";
  json += formatted_ingested_at_;
  json += R"("})";
  return document;
}

}  // namespace lp::processor
