#include "collector/protocols/splunk_hec.h"

#include <charconv>
#include <cmath>

#include "collector/body_decoding.h"

namespace lp::collector {
namespace {

// The largest time an event may have: 9999-12-31T23:59:59Z, the end of RFC 3339.
constexpr double kLastSecond = 253402300799;

// HEC's `time`: epoch seconds, with a fraction, as a number or a string.
std::optional<EpochMillis> MillisOfTime(simdjson::dom::element time) {
  double seconds = 0;
  std::string_view text;
  if (time.get_double().get(seconds) == simdjson::SUCCESS) {
  } else if (time.get_string().get(text) == simdjson::SUCCESS) {
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!(seconds >= 0 && seconds <= kLastSecond)) return std::nullopt;
  return static_cast<EpochMillis>(std::llround(seconds * 1000));
}

// A member's string, empty when it is missing or no string.
std::string_view StringOf(simdjson::simdjson_result<simdjson::dom::element> member) {
  std::string_view text;
  return member.get_string().get(text) == simdjson::SUCCESS ? text : std::string_view();
}

bool IsBlank(std::string_view text) { return TrimSpace(text).empty(); }

}  // namespace

HecDecoder::HecDecoder(DecodeOptions options) : options_(options), builder_(options_) {}

void HecDecoder::AddMetadata(std::string_view source, std::string_view sourcetype,
                             std::string_view index) {
  if (fields_.service.empty()) fields_.service = source;
  if (!source.empty()) fields_.labels.AddString("source", source);
  if (!sourcetype.empty()) fields_.labels.AddString("sourcetype", sourcetype);
  if (!index.empty()) fields_.labels.AddString("index", index);
}

void HecDecoder::AddEvent(simdjson::dom::element element, size_t index, DecodedBatch& out) {
  simdjson::dom::object object;
  if (element.get_object().get(object)) {
    return builder_.Reject(index, "an event is a JSON object", out);
  }
  simdjson::dom::element event;
  if (object["event"].get(event) || event.is_null()) {
    return builder_.Reject(index, std::string(kHecEventRequired), out);
  }
  fields_.Clear();
  std::string_view message;
  if (event.get_string().get(message) == simdjson::SUCCESS) {
    if (IsBlank(message)) return builder_.Reject(index, std::string(kHecEventBlank), out);
    fields_.message = message;
  } else if (event.is_object()) {
    event_text_ = simdjson::minify(event);
    event_text_.reserve(event_text_.size() + simdjson::SIMDJSON_PADDING);
    std::string error;
    if (!mapper_.Map(event_text_, fields_, error)) return builder_.Reject(index, error, out);
  } else {
    event_text_ = simdjson::minify(event);
    fields_.message = event_text_;
  }

  simdjson::dom::element time;
  if (object["time"].get(time) == simdjson::SUCCESS) {
    const auto millis = MillisOfTime(time);
    if (!millis) {
      return builder_.Reject(index, "time is epoch seconds (a number or a string of one)", out);
    }
    fields_.timestamp = {};
    fields_.timestamp_ms = millis;
  }
  if (const auto host = StringOf(object["host"]); !host.empty()) fields_.host = host;
  simdjson::dom::object indexed;
  if (object["fields"].get_object().get(indexed) == simdjson::SUCCESS) {
    for (const auto field : indexed) {
      std::string_view value;
      if (field.value.get_string().get(value)) {
        field_text_ = simdjson::minify(field.value);
        value = field_text_;
      }
      if (field.key == "service" && fields_.service.empty()) {
        fields_.service = value;
      } else if ((field.key == "level" || field.key == "severity") && fields_.level.empty()) {
        fields_.level = value;
      }
      fields_.labels.AddString(field.key, value);
    }
  }
  AddMetadata(StringOf(object["source"]), StringOf(object["sourcetype"]),
              StringOf(object["index"]));
  WriteEvent(fields_, event_json_);
  builder_.AddWritten(event_json_, index, out);
}

tl::expected<std::string_view, RequestFailure> HecDecoder::Begin(std::string_view content_encoding,
                                                                 const std::string& body,
                                                                 DecodedBatch& out,
                                                                 std::string_view tenant) {
  out.Clear();
  builder_.SetTenant(tenant);
  auto decoded = DecodeBody(content_encoding, body, options_.max_body_bytes, decompressed_);
  if (!decoded) return tl::unexpected(std::move(decoded.error()));
  if (IsBlank(decoded->text)) return tl::unexpected(RequestFailure{400, "No data"});
  return decoded->text;
}

tl::expected<void, RequestFailure> HecDecoder::DecodeEvents(std::string_view content_encoding,
                                                            const std::string& body,
                                                            DecodedBatch& out,
                                                            std::string_view tenant) {
  auto decoded = Begin(content_encoding, body, out, tenant);
  if (!decoded) return tl::unexpected(std::move(decoded.error()));
  const std::string_view text = *decoded;
  simdjson::dom::document_stream events;
  // One batch holds the whole body, so no event is too large for it.
  if (parser_.parse_many(text.data(), text.size(), std::max<size_t>(text.size(), 1024))
          .get(events)) {
    return tl::unexpected(RequestFailure{400, "Invalid data format"});
  }
  size_t index = 0;
  for (auto event : events) {
    simdjson::dom::element element;
    if (event.get(element)) {
      return tl::unexpected(RequestFailure{
          400, "Invalid data format: event " + std::to_string(index) + " is not JSON"});
    }
    AddEvent(element, index++, out);
  }
  if (events.truncated_bytes() != 0) {
    return tl::unexpected(RequestFailure{
        400, "Invalid data format: event " + std::to_string(index) + " is not JSON"});
  }
  return {};
}

tl::expected<void, RequestFailure> HecDecoder::DecodeRaw(std::string_view content_encoding,
                                                         const std::string& body,
                                                         const HecMetadata& metadata,
                                                         DecodedBatch& out,
                                                         std::string_view tenant) {
  auto decoded = Begin(content_encoding, body, out, tenant);
  if (!decoded) return tl::unexpected(std::move(decoded.error()));
  const std::string_view text = *decoded;
  size_t index = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto line = TrimSpace(text.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    fields_.Clear();
    fields_.message = line;
    fields_.host = metadata.host;
    AddMetadata(metadata.source, metadata.sourcetype, metadata.index);
    WriteEvent(fields_, event_json_);
    builder_.AddWritten(event_json_, index++, out);
  }
  return {};
}

}  // namespace lp::collector
