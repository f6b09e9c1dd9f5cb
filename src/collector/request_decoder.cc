#include "collector/request_decoder.h"

#include "collector/body_decoding.h"

namespace lp::collector {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The UTF-8 byte order mark some editors and Windows tools put at the start of a file.
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// Whitespace at both ends, and a byte order mark at the start: a body or line may begin with one.
std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  if (text.starts_with(kByteOrderMark)) {
    text.remove_prefix(kByteOrderMark.size());
    while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  }
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

enum class MediaType { kJson, kNdjson, kUnsupported };

MediaType ParseMediaType(std::string_view content_type) {
  const std::string media = MediaTypeOf(content_type);
  if (media.empty() || media == "application/json") return MediaType::kJson;
  if (media == "application/x-ndjson" || media == "application/ndjson" ||
      media == "application/jsonlines" || media == "application/x-jsonlines") {
    return MediaType::kNdjson;
  }
  return MediaType::kUnsupported;
}

// A JSON body of several lines each holding one object is NDJSON sent as application/json, as
// many shippers do; anything else with line breaks is one pretty-printed document.
bool LooksLikeLines(std::string_view body) {
  if (body.find('\n') == std::string_view::npos) return false;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    const auto line = Trim(body.substr(start, end - start));
    if (!line.empty() && (line.front() != '{' || line.back() != '}')) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

RequestDecoder::RequestDecoder(DecodeOptions options) : options_(options), builder_(options_) {}

void RequestDecoder::DecodeLines(std::string_view body, DecodedBatch& out) {
  size_t index = 0;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    const auto untrimmed = body.substr(start, end - start);
    const auto line = Trim(untrimmed);
    if (!line.empty()) {
      builder_.Add(line, index++, start + static_cast<size_t>(line.data() - untrimmed.data()), out);
    }
    start = end + 1;
  }
}

tl::expected<void, RequestFailure> RequestDecoder::DecodeArray(std::string_view body,
                                                               size_t capacity, size_t body_offset,
                                                               DecodedBatch& out) {
  const auto failure = [&](std::string what, simdjson::error_code code,
                           const char* location) -> tl::unexpected<RequestFailure> {
    std::string message = std::move(what);
    message += ": ";
    message += simdjson::error_message(code);
    if (location != nullptr && location >= body.data() && location <= body.data() + body.size()) {
      message += " (at byte " +
                 std::to_string(body_offset + static_cast<size_t>(location - body.data())) + ")";
    }
    return tl::unexpected(RequestFailure{400, std::move(message)});
  };

  simdjson::ondemand::document document;
  if (auto code = array_parser_.iterate(body.data(), body.size(), capacity).get(document)) {
    return failure(code == simdjson::UTF8_ERROR ? "invalid UTF-8 in body" : "invalid JSON body",
                   code, nullptr);
  }
  simdjson::ondemand::array array;
  if (auto code = document.get_array().get(array)) {
    return failure("invalid JSON body", code, nullptr);
  }
  size_t index = 0;
  for (auto element_result : array) {
    simdjson::ondemand::value element;
    const char* location = nullptr;
    if (auto code = element_result.get(element)) {
      if (document.current_location().get(location)) location = nullptr;
      return failure("invalid JSON body", code, location);
    }
    simdjson::ondemand::json_type type;
    if (auto code = element.type().get(type)) {
      if (document.current_location().get(location)) location = nullptr;
      return failure("invalid JSON body", code, location);
    }
    if (type != simdjson::ondemand::json_type::object) {
      static constexpr const char* kNames[] = {"an array", "an object", "a number",
                                               "a string", "a boolean", "null"};
      builder_.Reject(index++,
                      std::string("event must be a JSON object, not ") +
                          kNames[static_cast<int>(type) -
                                 static_cast<int>(simdjson::ondemand::json_type::array)],
                      out);
      continue;
    }
    simdjson::ondemand::object object;
    std::string_view raw;
    if (auto code = element.get_object().get(object)) {
      if (document.current_location().get(location)) location = nullptr;
      return failure("invalid JSON body", code, location);
    }
    if (auto code = object.raw_json().get(raw)) {
      if (document.current_location().get(location)) location = nullptr;
      return failure("invalid JSON body", code, location);
    }
    builder_.Add(raw, index++, body_offset + static_cast<size_t>(raw.data() - body.data()), out);
  }
  const char* trailing = nullptr;
  if (!document.current_location().get(trailing)) {
    return tl::unexpected(RequestFailure{400, "invalid JSON body: content after the array"});
  }
  if (index == 0) {
    return tl::unexpected(RequestFailure{400, "empty array: the body holds no events"});
  }
  return {};
}

tl::expected<void, RequestFailure> RequestDecoder::Decode(std::string_view content_type,
                                                          std::string_view content_encoding,
                                                          const std::string& body,
                                                          DecodedBatch& out,
                                                          std::string_view tenant) {
  out.Clear();
  builder_.SetTenant(tenant);
  const MediaType media = ParseMediaType(content_type);
  if (media == MediaType::kUnsupported) {
    return tl::unexpected(
        RequestFailure{415, "unsupported Content-Type \"" + std::string(content_type) +
                                "\": send application/json (an object or an array of objects) or "
                                "application/x-ndjson"});
  }

  auto decoded = DecodeBody(content_encoding, body, options_.max_body_bytes, decompressed_);
  if (!decoded) return tl::unexpected(std::move(decoded.error()));
  const std::string_view text = decoded->text;
  const size_t capacity = decoded->capacity;

  const std::string_view trimmed = Trim(text);
  if (trimmed.empty()) {
    return tl::unexpected(
        RequestFailure{400, "empty body: send a JSON object, a JSON array of objects, or NDJSON"});
  }
  Shape shape = Shape::kLines;
  if (media == MediaType::kJson) {
    if (trimmed.front() == '[') {
      shape = Shape::kArray;
    } else if (!LooksLikeLines(trimmed)) {
      shape = Shape::kSingle;
    }
  }
  switch (shape) {
    case Shape::kArray: {
      // The array is parsed from its first byte, past any byte order mark; offsets in errors
      // stay counted from the start of the body.
      const size_t skipped = static_cast<size_t>(trimmed.data() - text.data());
      auto decoded = DecodeArray(text.substr(skipped), capacity - skipped, skipped, out);
      if (!decoded) {
        out.Clear();
        return decoded;
      }
      break;
    }
    case Shape::kSingle:
      builder_.Add(trimmed, 0, static_cast<size_t>(trimmed.data() - text.data()), out);
      break;
    case Shape::kLines:
      DecodeLines(text, out);
      break;
  }
  return {};
}

}  // namespace lp::collector
