#include "collector/protocols/document_mapping.h"

#include <cmath>

namespace lp::collector {
namespace {

using simdjson::ondemand::json_type;

// Candidates for one event field: the first-ranked name present wins, whatever the order of
// the document's members.
struct Slot {
  std::string_view value;
  int rank = 1 << 20;
  void Offer(std::string_view candidate, int candidate_rank) {
    if (candidate_rank < rank) {
      value = candidate;
      rank = candidate_rank;
    }
  }
};

struct Slots {
  Slot timestamp, message, level, service, host, trace_id, span_id, request_id;
  std::optional<EpochMillis> timestamp_ms;
  int timestamp_ms_rank = 1 << 20;
};

std::string_view TrimEnd(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\t' ||
                           text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// The value's text as sent (any type); false when the document is broken there.
bool RawText(simdjson::ondemand::value value, std::string_view& raw) {
  json_type type;
  if (value.type().get(type)) return false;
  if (type == json_type::object) {
    simdjson::ondemand::object object;
    return !value.get_object().get(object) && !object.raw_json().get(raw);
  }
  if (type == json_type::array) {
    simdjson::ondemand::array array;
    return !value.get_array().get(array) && !array.raw_json().get(raw);
  }
  raw = TrimEnd(value.raw_json_token());
  return true;
}

// The string value of a field, if it is one.
bool StringValue(simdjson::ondemand::value value, std::string_view& text) {
  json_type type;
  return !value.type().get(type) && type == json_type::string && !value.get_string().get(text);
}

// The fields of an ECS object (`log`, `service`, `host`, `trace`, `span`) that map to event
// fields, with the ranks they take there.
struct NestedField {
  std::string_view object;
  std::string_view key;
  Slot Slots::*slot;
  int rank;
};
constexpr NestedField kNested[] = {
    {"log", "level", &Slots::level, 0},   {"service", "name", &Slots::service, 0},
    {"host", "name", &Slots::host, 0},    {"host", "hostname", &Slots::host, 2},
    {"trace", "id", &Slots::trace_id, 0}, {"span", "id", &Slots::span_id, 0},
};

struct FlatField {
  std::string_view key;
  Slot Slots::*slot;
  int rank;
};
// Dotted ECS names rank with the nested ones; logpipe's own names and common shipper names
// come after them.
constexpr FlatField kFlat[] = {
    {"@timestamp", &Slots::timestamp, 0}, {"timestamp", &Slots::timestamp, 1},
    {"message", &Slots::message, 0},      {"log", &Slots::message, 1},
    {"msg", &Slots::message, 2},          {"log.level", &Slots::level, 0},
    {"level", &Slots::level, 1},          {"severity", &Slots::level, 2},
    {"service.name", &Slots::service, 0}, {"service", &Slots::service, 1},
    {"host.name", &Slots::host, 0},       {"host", &Slots::host, 1},
    {"host.hostname", &Slots::host, 2},   {"trace.id", &Slots::trace_id, 0},
    {"trace_id", &Slots::trace_id, 1},    {"span.id", &Slots::span_id, 0},
    {"span_id", &Slots::span_id, 1},      {"request_id", &Slots::request_id, 0},
};

bool IsNestedObjectName(std::string_view key) {
  for (const auto& nested : kNested) {
    if (nested.object == key) return true;
  }
  return false;
}

}  // namespace

bool DocumentMapper::Map(std::string_view json, EventFields& fields, std::string& error) {
  fields.Clear();
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (auto code =
          parser_.iterate(json.data(), json.size(), json.size() + simdjson::SIMDJSON_PADDING)
              .get(document);
      code || (code = document.get_object().get(object))) {
    error = std::string("document is not a JSON object: ") + simdjson::error_message(code);
    return false;
  }
  Slots slots;
  const auto broken = [&](simdjson::error_code code) {
    error = std::string("invalid JSON: ") + simdjson::error_message(code);
    return false;
  };
  for (auto member : object) {
    std::string_view key;
    simdjson::ondemand::value value;
    if (auto code = member.unescaped_key().get(key)) return broken(code);
    if (auto code = member.value().get(value)) return broken(code);
    json_type type;
    if (auto code = value.type().get(type)) return broken(code);

    if (type == json_type::object && IsNestedObjectName(key)) {
      simdjson::ondemand::object nested;
      if (auto code = value.get_object().get(nested)) return broken(code);
      nested_rest_.Clear();
      for (auto nested_member : nested) {
        std::string_view nested_key;
        simdjson::ondemand::value nested_value;
        if (auto code = nested_member.unescaped_key().get(nested_key)) return broken(code);
        if (auto code = nested_member.value().get(nested_value)) return broken(code);
        bool mapped = false;
        for (const auto& candidate : kNested) {
          std::string_view text;
          if (candidate.object == key && candidate.key == nested_key &&
              StringValue(nested_value, text)) {
            (slots.*candidate.slot).Offer(text, candidate.rank);
            mapped = true;
            break;
          }
        }
        if (mapped) continue;
        std::string_view raw;
        if (!RawText(nested_value, raw)) return broken(simdjson::TAPE_ERROR);
        nested_rest_.AddRaw(nested_key, raw);
      }
      if (!nested_rest_.empty()) {
        fields.payload.AddRaw(key, "{" + nested_rest_.text() + "}");
      }
      continue;
    }
    if (type == json_type::object && (key == "labels" || key == "payload")) {
      simdjson::ondemand::object inner;
      if (auto code = value.get_object().get(inner)) return broken(code);
      for (auto inner_member : inner) {
        std::string_view inner_key;
        simdjson::ondemand::value inner_value;
        if (auto code = inner_member.unescaped_key().get(inner_key)) return broken(code);
        if (auto code = inner_member.value().get(inner_value)) return broken(code);
        std::string_view text;
        if (key == "labels" && StringValue(inner_value, text)) {
          fields.labels.AddString(inner_key, text);
          continue;
        }
        std::string_view raw;
        if (!RawText(inner_value, raw)) return broken(simdjson::TAPE_ERROR);
        if (key == "labels") {
          json_type inner_type;
          if (!inner_value.type().get(inner_type) && inner_type != json_type::object &&
              inner_type != json_type::array) {
            // ECS labels are keywords: a number or boolean label is kept as its text.
            fields.labels.AddString(inner_key, raw);
            continue;
          }
          fields.payload.AddRaw("labels." + std::string(inner_key), raw);
          continue;
        }
        fields.payload.AddRaw(inner_key, raw);
      }
      continue;
    }
    if (type == json_type::string) {
      std::string_view text;
      if (auto code = value.get_string().get(text)) return broken(code);
      bool mapped = false;
      for (const auto& candidate : kFlat) {
        if (candidate.key == key) {
          (slots.*candidate.slot).Offer(text, candidate.rank);
          mapped = true;
          break;
        }
      }
      if (mapped) continue;
      fields.payload.AddString(key, text);
      continue;
    }
    if (type == json_type::number && (key == "@timestamp" || key == "timestamp")) {
      // Epoch milliseconds, as Elasticsearch's default date format also reads them.
      double millis = 0;
      const int rank = key == "@timestamp" ? 0 : 1;
      if (!value.get_double().get(millis) && std::isfinite(millis) && std::abs(millis) < 1e15 &&
          rank < slots.timestamp_ms_rank) {
        slots.timestamp_ms = static_cast<EpochMillis>(millis);
        slots.timestamp_ms_rank = rank;
        continue;
      }
    }
    std::string_view raw;
    if (!RawText(value, raw)) return broken(simdjson::TAPE_ERROR);
    fields.payload.AddRaw(key, raw);
  }
  const char* trailing = nullptr;
  if (!document.current_location().get(trailing)) {
    error = "invalid JSON: content after the document";
    return false;
  }
  fields.timestamp = slots.timestamp.value;
  if (slots.timestamp_ms && slots.timestamp_ms_rank < slots.timestamp.rank) {
    fields.timestamp_ms = slots.timestamp_ms;
    fields.timestamp = {};
  }
  fields.message = slots.message.value;
  fields.level = slots.level.value;
  fields.service = slots.service.value;
  fields.host = slots.host.value;
  fields.trace_id = slots.trace_id.value;
  fields.span_id = slots.span_id.value;
  fields.request_id = slots.request_id.value;
  return true;
}

}  // namespace lp::collector
