#include "core/event_validator.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace lp {
namespace {

constexpr size_t kQuotedValueLimit = 64;

enum class KnownField {
  kService,
  kLevel,
  kMessage,
  kTimestamp,
  kTraceId,
  kRequestId,
  kHost,
  kPayload,
  kLabels
};
constexpr std::array<std::string_view, 9> kKnownFields{"service",   "level",    "message",
                                                       "timestamp", "trace_id", "request_id",
                                                       "host",      "payload",  "labels"};

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

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The first `\uXXXX` escape in `json` that is a UTF-16 surrogate without its partner, if any.
std::optional<std::string_view> LoneSurrogateEscape(std::string_view json) {
  const auto unit = [&](size_t at) -> int {
    if (at + 6 > json.size() || json[at] != '\\' || json[at + 1] != 'u') return -1;
    int value = 0;
    for (size_t i = at + 2; i < at + 6; ++i) {
      if (!IsHexDigit(json[i])) return -1;
      const char c = json[i];
      value = value * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return value;
  };
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (!in_string) {
      in_string = c == '"';
      continue;
    }
    if (c == '"') {
      in_string = false;
    } else if (c == '\\') {
      const int value = unit(i);
      if (value >= 0xD800 && value <= 0xDBFF) {
        const int low = unit(i + 6);
        if (low < 0xDC00 || low > 0xDFFF) return json.substr(i, 6);
        i += 11;
      } else if (value >= 0xDC00 && value <= 0xDFFF) {
        return json.substr(i, 6);
      } else {
        ++i;  // Skips the escaped character, which may be a quote.
      }
    }
  }
  return std::nullopt;
}

// Whether a number token is beyond what a double or a 64-bit integer holds.
bool OutOfRange(std::string_view token) {
  const bool integer = token.find_first_of(".eE") == std::string_view::npos;
  if (integer) {
    int64_t signed_value = 0;
    uint64_t unsigned_value = 0;
    const char* end = token.data() + token.size();
    return std::from_chars(token.data(), end, signed_value).ec == std::errc::result_out_of_range &&
           std::from_chars(token.data(), end, unsigned_value).ec != std::errc{};
  }
  const std::string text(token);
  errno = 0;
  const double value = std::strtod(text.c_str(), nullptr);
  return errno == ERANGE && value != 0;
}

// `json` with each number too large for simdjson's parsed view replaced by a valid number of the
// same length ("0.000..."), so the rest can be checked; nothing when there is no such number.
bool TameNumbers(std::string_view json, std::string& out) {
  out.assign(json);
  bool changed = false;
  bool in_string = false;
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) continue;
    size_t end = i + 1;
    while (end < out.size() &&
           (std::isdigit(static_cast<unsigned char>(out[end])) || out[end] == '.' ||
            out[end] == 'e' || out[end] == 'E' || out[end] == '+' || out[end] == '-')) {
      ++end;
    }
    if (end - i >= 3 && OutOfRange(std::string_view(out).substr(i, end - i))) {
      out[i] = '0';
      out[i + 1] = '.';
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(i + 2),
                out.begin() + static_cast<std::ptrdiff_t>(end), '0');
      changed = true;
    }
    i = end - 1;
  }
  return changed;
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
  auto code = parser_.parse(json.data(), json.size(), false).get(root);
  if (code == simdjson::NUMBER_ERROR && TameNumbers(json, tamed_)) {
    const size_t size = tamed_.size();
    tamed_.append(simdjson::SIMDJSON_PADDING, '\0');
    code = parser_.parse(tamed_.data(), size, false).get(root);
  }
  if (code == simdjson::STRING_ERROR) {
    if (const auto escape = LoneSurrogateEscape(json)) {
      return Permanent("invalid JSON: the escape " + std::string(*escape) +
                       " is half of a UTF-16 surrogate pair; strings must be valid Unicode");
    }
  }
  if (code) return Permanent(DescribeParseError(code, limits_.max_depth));
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return Permanent(std::string("event must be a JSON object, not ") +
                     std::string(TypeName(root.type())));
  }

  // One pass over the members finds the known fields (key lookups would each rescan them);
  // the checks below then run in a fixed order, so each event gets the same first error.
  std::array<std::optional<simdjson::dom::element>, kKnownFields.size()> fields;
  for (const auto member : object) {
    for (size_t i = 0; i < kKnownFields.size(); ++i) {
      if (member.key != kKnownFields[i]) continue;
      if (fields[i]) {
        return Permanent("field \"" + std::string(kKnownFields[i]) + "\" appears twice");
      }
      fields[i] = member.value;
      break;
    }
  }
  const auto field = [&fields](KnownField known) { return fields[static_cast<size_t>(known)]; };

  ValidatedEvent event;
  event.root = root;

  auto value = field(KnownField::kService);
  if (!value) return Permanent("missing required field \"service\"");
  if (value->get_string().get(event.service)) return WrongType("service", "a string", *value);
  if (event.service.empty()) return Permanent("field \"service\" must not be empty");

  std::string_view text;
  value = field(KnownField::kLevel);
  if (!value) return Permanent("missing required field \"level\"");
  if (value->get_string().get(text)) return WrongType("level", "a string", *value);
  const auto level = ParseLevel(text);
  if (!level) {
    return Permanent("field \"level\" has unknown value " + Quoted(text) +
                     " (expected TRACE, DEBUG, INFO, WARN, WARNING, ERROR, FATAL or CRITICAL)");
  }
  event.level = *level;

  value = field(KnownField::kMessage);
  if (!value) return Permanent("missing required field \"message\"");
  if (!value->is_string()) return WrongType("message", "a string", *value);

  if ((value = field(KnownField::kTimestamp))) {
    if (value->get_string().get(text)) return WrongType("timestamp", "an RFC 3339 string", *value);
    event.timestamp = ParseRfc3339(text);
    if (!event.timestamp) {
      return Permanent("field \"timestamp\" is not an RFC 3339 time: " + Quoted(text));
    }
  }

  for (const auto known : {KnownField::kTraceId, KnownField::kRequestId, KnownField::kHost}) {
    value = field(known);
    if (value && !value->is_string()) {
      return WrongType(kKnownFields[static_cast<size_t>(known)], "a string", *value);
    }
  }
  if ((value = field(KnownField::kPayload)) && !value->is_object()) {
    return WrongType("payload", "an object", *value);
  }
  if ((value = field(KnownField::kLabels))) {
    simdjson::dom::object labels;
    if (value->get_object().get(labels)) return WrongType("labels", "an object", *value);
    for (const auto label : labels) {
      if (!label.value.is_string()) {
        return Permanent("field \"labels\" must map names to strings; \"labels." +
                         std::string(label.key) + "\" is " +
                         std::string(TypeName(label.value.type())));
      }
    }
  }
  return event;
}

}  // namespace lp
