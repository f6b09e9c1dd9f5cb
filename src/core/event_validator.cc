#include "core/event_validator.h"

#include <array>

namespace lp {
namespace {

constexpr size_t kQuotedValueLimit = 64;

std::string Quoted(std::string_view value) {
  std::string out = "\"";
  if (value.size() > kQuotedValueLimit) {
    out.append(value.substr(0, kQuotedValueLimit));
    out += "...";
  } else {
    out.append(value);
  }
  out += '"';
  return out;
}

std::string_view TypeName(simdjson::dom::element_type type) {
  using simdjson::dom::element_type;
  switch (type) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "unknown";
}

tl::unexpected<Error> WrongType(std::string_view field, std::string_view expected,
                                simdjson::dom::element value) {
  std::string message = "field \"";
  message.append(field);
  message += "\" must be ";
  message.append(expected);
  message += ", not ";
  message.append(TypeName(value.type()));
  return Permanent(std::move(message));
}

std::string DescribeParseError(simdjson::error_code code, size_t max_depth) {
  switch (code) {
    case simdjson::UTF8_ERROR:
      return "invalid UTF-8 in event";
    case simdjson::DEPTH_ERROR:
      return "event nesting deeper than " + std::to_string(max_depth) + " levels";
    case simdjson::EMPTY:
      return "empty event";
    default:
      return std::string("invalid JSON: ") + simdjson::error_message(code);
  }
}

}  // namespace

EventValidator::EventValidator(EventLimits limits) : limits_(limits) {
  // The parser's document capacity only has to cover one event; larger events are refused before
  // parsing.
  if (parser_.allocate(limits_.max_event_bytes + 1, limits_.max_depth) != simdjson::SUCCESS) {
    throw std::bad_alloc();
  }
}

Result<ValidatedEvent> EventValidator::Validate(std::string_view json) {
  scratch_.assign(json);
  scratch_.append(simdjson::SIMDJSON_PADDING, '\0');
  return ValidatePadded(std::string_view(scratch_.data(), json.size()));
}

Result<ValidatedEvent> EventValidator::ValidatePadded(std::string_view json) {
  if (json.size() > limits_.max_event_bytes) {
    return Permanent("event is " + std::to_string(json.size()) + " bytes, over the " +
                     std::to_string(limits_.max_event_bytes) + "-byte limit");
  }
  simdjson::dom::element root;
  if (auto code = parser_.parse(json.data(), json.size(), false).get(root)) {
    return Permanent(DescribeParseError(code, limits_.max_depth));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return Permanent(std::string("event must be a JSON object, not ") +
                     std::string(TypeName(root.type())));
  }

  ValidatedEvent event;
  event.root = root;

  simdjson::dom::element value;
  if (object["service"].get(value)) return Permanent("missing required field \"service\"");
  if (value.get_string().get(event.service)) return WrongType("service", "a string", value);
  if (event.service.empty()) return Permanent("field \"service\" must not be empty");

  std::string_view text;
  if (object["level"].get(value)) return Permanent("missing required field \"level\"");
  if (value.get_string().get(text)) return WrongType("level", "a string", value);
  const auto level = ParseLevel(text);
  if (!level) {
    return Permanent("field \"level\" has unknown value " + Quoted(text) +
                     " (expected TRACE, DEBUG, INFO, WARN, WARNING, ERROR, FATAL or CRITICAL)");
  }
  event.level = *level;

  if (object["message"].get(value)) return Permanent("missing required field \"message\"");
  if (!value.is_string()) return WrongType("message", "a string", value);

  if (!object["timestamp"].get(value)) {
    if (value.get_string().get(text)) return WrongType("timestamp", "an RFC 3339 string", value);
    event.timestamp = ParseRfc3339(text);
    if (!event.timestamp) {
      return Permanent("field \"timestamp\" is not an RFC 3339 time: " + Quoted(text));
    }
  }

  for (const std::string_view field : {"trace_id", "request_id", "host"}) {
    if (!object[field].get(value) && !value.is_string()) return WrongType(field, "a string", value);
  }
  if (!object["payload"].get(value) && !value.is_object()) {
    return WrongType("payload", "an object", value);
  }
  if (!object["labels"].get(value)) {
    simdjson::dom::object labels;
    if (value.get_object().get(labels)) return WrongType("labels", "an object", value);
    for (const auto field : labels) {
      if (!field.value.is_string()) {
        return Permanent("field \"labels\" must map names to strings; \"labels." +
                         std::string(field.key) + "\" is " +
                         std::string(TypeName(field.value.type())));
      }
    }
  }
  return event;
}

}  // namespace lp
