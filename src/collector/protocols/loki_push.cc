#include "collector/protocols/loki_push.h"

#include <snappy.h>

#include <charconv>

#include "collector/body_decoding.h"
#include "collector/protocols/loki_push.pb.h"

namespace lp::collector {
namespace {

bool IsLabelNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':' || c == '.' || c == '-';
}

void SkipSpaces(std::string_view text, size_t& at) {
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
}

// The names under which Loki's clients send an entry's level, in the order they are looked for.
constexpr std::string_view kLevelNames[] = {"level", "detected_level", "severity"};

bool IsLevelName(std::string_view name) {
  for (const auto level_name : kLevelNames) {
    if (name == level_name) return true;
  }
  return false;
}

std::optional<EpochMillis> MillisOfNanos(int64_t nanos) {
  if (nanos == 0) return std::nullopt;  // none: the time received
  return static_cast<EpochMillis>(nanos / 1'000'000);
}

// Structured metadata in the JSON encoding: an object of strings.
bool ReadMetadata(simdjson::dom::element element, LabelPairs& out) {
  simdjson::dom::object metadata;
  if (element.get_object().get(metadata)) return false;
  for (const auto pair : metadata) {
    std::string_view text;
    if (pair.value.get_string().get(text)) return false;
    out.emplace_back(std::string(pair.key), std::string(text));
  }
  return true;
}

// The largest time an event may have: 9999-12-31T23:59:59Z, the end of RFC 3339.
constexpr int64_t kLastSecond = 253402300799;

tl::unexpected<RequestFailure> BadRequest(std::string message) {
  return tl::unexpected(RequestFailure{400, std::move(message)});
}

}  // namespace

bool ParseLabelSet(std::string_view text, LabelPairs& out) {
  out.clear();
  text = TrimSpace(text);
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  size_t at = 1;
  const size_t end = text.size() - 1;
  SkipSpaces(text, at);
  while (at < end) {
    const size_t name_start = at;
    while (at < end && IsLabelNameChar(text[at])) ++at;
    if (at == name_start) return false;
    std::string name(text.substr(name_start, at - name_start));
    SkipSpaces(text, at);
    if (at >= end || text[at] != '=') return false;
    ++at;
    SkipSpaces(text, at);
    if (at >= end || text[at] != '"') return false;
    ++at;
    std::string value;
    while (true) {
      if (at >= end) return false;
      const char c = text[at++];
      if (c == '"') break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (at >= end) return false;
      const char escaped = text[at++];
      value += escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped;
    }
    out.emplace_back(std::move(name), std::move(value));
    SkipSpaces(text, at);
    if (at < end && text[at] == ',') {
      ++at;
      SkipSpaces(text, at);
    } else if (at < end) {
      return false;
    }
  }
  return true;
}

LokiPushDecoder::LokiPushDecoder(DecodeOptions options) : options_(options), builder_(options_) {}

tl::expected<void, RequestFailure> LokiPushDecoder::Decode(WireEncoding encoding,
                                                           std::string_view content_encoding,
                                                           const std::string& body,
                                                           DecodedBatch& out,
                                                           std::string_view tenant) {
  out.Clear();
  builder_.SetTenant(tenant);
  index_ = 0;
  auto decoded = DecodeBody(content_encoding, body, options_.max_body_bytes, decompressed_);
  if (!decoded) return tl::unexpected(std::move(decoded.error()));
  if (encoding == WireEncoding::kProtobuf) return DecodeProtobuf(decoded->text, out);
  return DecodeJson(decoded->text, out);
}

tl::expected<void, RequestFailure> LokiPushDecoder::DecodeProtobuf(std::string_view body,
                                                                   DecodedBatch& out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &length)) {
    return BadRequest("invalid snappy block: a protobuf push body is snappy-compressed");
  }
  if (length > options_.max_body_bytes) {
    return tl::unexpected(RequestFailure{
        413, "the push request is " + std::to_string(length) + " bytes uncompressed, over the " +
                 std::to_string(options_.max_body_bytes) + "-byte limit"});
  }
  if (!snappy::Uncompress(body.data(), body.size(), &uncompressed_)) {
    return BadRequest("invalid snappy block: a protobuf push body is snappy-compressed");
  }
  auto& request = arena_.Fresh<logpipe::loki::PushRequest>();
  if (!request.ParseFromString(uncompressed_)) {
    return BadRequest("invalid protobuf: not a Loki PushRequest");
  }
  for (const auto& stream : request.streams()) {
    if (!ParseLabelSet(stream.labels(), labels_)) {
      return BadRequest("invalid stream labels " + stream.labels() +
                        ": expected {name=\"value\", ...}");
    }
    StartStream();
    for (const auto& entry : stream.entries()) {
      metadata_.clear();
      for (const auto& pair : entry.structured_metadata()) {
        metadata_.emplace_back(pair.name(), pair.value());
      }
      std::optional<EpochMillis> timestamp_ms;
      if (entry.has_timestamp()) {
        const auto& time = entry.timestamp();
        if (time.seconds() < 0 || time.seconds() > kLastSecond || time.nanos() < 0 ||
            time.nanos() >= 1'000'000'000) {
          builder_.Reject(index_++, "timestamp out of range", out);
          continue;
        }
        if (time.seconds() != 0 || time.nanos() != 0) {
          timestamp_ms = time.seconds() * 1000 + time.nanos() / 1'000'000;
        }
      }
      AddEntry(timestamp_ms, entry.line(), metadata_, out);
    }
  }
  return {};
}

tl::expected<void, RequestFailure> LokiPushDecoder::DecodeJson(std::string_view body,
                                                               DecodedBatch& out) {
  // DecodeBody made sure of the padding simdjson reads past the end.
  simdjson::dom::element root;
  if (auto code = parser_.parse(body.data(), body.size(), false).get(root)) {
    return BadRequest(std::string("invalid JSON body: ") + simdjson::error_message(code));
  }
  simdjson::dom::array streams;
  if (root["streams"].get_array().get(streams)) {
    return BadRequest("a push body is {\"streams\":[...]}: no \"streams\" array");
  }
  for (const auto stream : streams) {
    labels_.clear();
    simdjson::dom::object labels;
    if (stream["stream"].get_object().get(labels) == simdjson::SUCCESS) {
      for (const auto label : labels) {
        std::string_view value;
        if (label.value.get_string().get(value)) {
          return BadRequest("stream label \"" + std::string(label.key) + "\" is not a string");
        }
        labels_.emplace_back(std::string(label.key), std::string(value));
      }
    }
    StartStream();
    simdjson::dom::array values;
    if (stream["values"].get_array().get(values)) {
      return BadRequest(
          "a stream is {\"stream\":{...},\"values\":[[\"<ns>\",\"<line>\"],...]}: "
          "no \"values\" array");
    }
    for (const auto value : values) {
      simdjson::dom::array entry;
      std::string_view nanos_text;
      std::string_view line;
      int64_t nanos = 0;
      if (value.get_array().get(entry) || entry.size() < 2 || entry.size() > 3 ||
          entry.at(0).get_string().get(nanos_text) || entry.at(1).get_string().get(line)) {
        builder_.Reject(index_++, "an entry is [\"<ns>\", \"<line>\"] or with {metadata} third",
                        out);
        continue;
      }
      const auto parsed =
          std::from_chars(nanos_text.data(), nanos_text.data() + nanos_text.size(), nanos);
      if (parsed.ec != std::errc() || parsed.ptr != nanos_text.data() + nanos_text.size() ||
          nanos < 0) {
        builder_.Reject(
            index_++,
            "timestamp \"" + std::string(nanos_text) + "\" is not nanoseconds since the epoch",
            out);
        continue;
      }
      metadata_.clear();
      if (entry.size() == 3 && !ReadMetadata(entry.at(2), metadata_)) {
        builder_.Reject(index_++, "structured metadata is an object of strings", out);
        continue;
      }
      AddEntry(MillisOfNanos(nanos), line, metadata_, out);
    }
  }
  return {};
}

void LokiPushDecoder::StartStream() {
  service_ = {};
  host_ = {};
  stream_level_ = {};
  stream_labels_.Clear();
  for (const std::string_view service_label : {"service_name", "service", "job"}) {
    for (const auto& [name, value] : labels_) {
      if (service_.empty() && name == service_label) service_ = value;
    }
  }
  for (const auto& [name, value] : labels_) {
    if (host_.empty() && (name == "host" || name == "hostname")) host_ = value;
    if (stream_level_.empty() && IsLevelName(name)) stream_level_ = value;
    stream_labels_.AddString(name, value);
  }
}

void LokiPushDecoder::AddEntry(std::optional<EpochMillis> timestamp_ms, std::string_view line,
                               const LabelPairs& metadata, DecodedBatch& out) {
  fields_.Clear();
  fields_.service = service_;
  fields_.host = host_;
  fields_.labels = stream_labels_;
  fields_.timestamp_ms = timestamp_ms;
  fields_.message = line;
  std::string_view level;
  for (const auto& [name, value] : metadata) {
    if (IsLevelName(name)) {
      if (level.empty()) level = value;
    } else if (name == "trace_id") {
      fields_.trace_id = value;
    } else if (name == "span_id") {
      fields_.span_id = value;
    } else {
      fields_.payload.AddString(name, value);
    }
  }
  fields_.level = level.empty() ? stream_level_ : level;
  WriteEvent(fields_, event_json_);
  builder_.AddWritten(event_json_, index_++, out);
}

}  // namespace lp::collector
