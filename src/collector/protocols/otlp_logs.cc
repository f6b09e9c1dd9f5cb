#include "collector/protocols/otlp_logs.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <cmath>

#include "collector/body_decoding.h"
#include "core/json_escape.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"

namespace lp::collector {
namespace {

namespace otlp_collector = opentelemetry::proto::collector::logs::v1;
namespace otlp_common = opentelemetry::proto::common::v1;
namespace otlp_logs = opentelemetry::proto::logs::v1;

// OTLP's JSON encoding writes trace and span ids as hex, where protobuf's JSON mapping reads
// bytes as base64. Hex digits are base64 digits, so the parser turned the hex text into the
// bytes it decodes to, and encoding those bytes as base64 gives the hex text back.
void IdFromJson(const std::string& bytes, std::string& out) {
  static constexpr char kBase64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.clear();
  for (size_t i = 0; i + 2 < bytes.size(); i += 3) {
    const auto b0 = static_cast<unsigned char>(bytes[i]);
    const auto b1 = static_cast<unsigned char>(bytes[i + 1]);
    const auto b2 = static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64[b0 >> 2];
    out += kBase64[((b0 & 3) << 4) | (b1 >> 4)];
    out += kBase64[((b1 & 15) << 2) | (b2 >> 6)];
    out += kBase64[b2 & 63];
  }
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
}

void IdFromProtobuf(const std::string& bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.clear();
  for (const char c : bytes) {
    out += kHex[(static_cast<unsigned char>(c) >> 4) & 15];
    out += kHex[static_cast<unsigned char>(c) & 15];
  }
}

bool AllZero(std::string_view id) { return id.find_first_not_of('0') == std::string_view::npos; }

std::string_view LevelOfSeverityNumber(int number) {
  // The ranges of the OpenTelemetry log data model: 1-4 TRACE ... 21-24 FATAL.
  static constexpr std::string_view kLevels[] = {"TRACE", "DEBUG", "INFO",
                                                 "WARN",  "ERROR", "FATAL"};
  if (number < 1 || number > 24) return "INFO";
  return kLevels[(number - 1) / 4];
}

void AppendNumber(std::string& out, double value) {
  if (!std::isfinite(value)) {
    // JSON has no NaN or infinity: keep them as text.
    out += value != value ? "\"NaN\"" : (value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void AppendAnyValueJson(std::string& out, const otlp_common::AnyValue& value) {
  switch (value.value_case()) {
    case otlp_common::AnyValue::kStringValue:
      out += '"';
      AppendJsonEscaped(out, value.string_value());
      out += '"';
      return;
    case otlp_common::AnyValue::kBoolValue:
      out += value.bool_value() ? "true" : "false";
      return;
    case otlp_common::AnyValue::kIntValue:
      out += std::to_string(value.int_value());
      return;
    case otlp_common::AnyValue::kDoubleValue:
      AppendNumber(out, value.double_value());
      return;
    case otlp_common::AnyValue::kArrayValue: {
      out += '[';
      bool first = true;
      for (const auto& element : value.array_value().values()) {
        if (!first) out += ',';
        first = false;
        AppendAnyValueJson(out, element);
      }
      out += ']';
      return;
    }
    case otlp_common::AnyValue::kKvlistValue: {
      out += '{';
      bool first = true;
      for (const auto& member : value.kvlist_value().values()) {
        if (!first) out += ',';
        first = false;
        out += '"';
        AppendJsonEscaped(out, member.key());
        out += "\":";
        AppendAnyValueJson(out, member.value());
      }
      out += '}';
      return;
    }
    case otlp_common::AnyValue::kBytesValue: {
      // Bytes are not text: written as hex, which any reader can take back.
      std::string hex;
      IdFromProtobuf(value.bytes_value(), hex);
      out += '"';
      out += hex;
      out += '"';
      return;
    }
    default:
      out += "null";
      return;
  }
}

// A label's value: strings as they are, anything else as its JSON text.
std::string LabelText(const otlp_common::AnyValue& value) {
  if (value.value_case() == otlp_common::AnyValue::kStringValue) return value.string_value();
  std::string text;
  AppendAnyValueJson(text, value);
  return text;
}

}  // namespace

OtlpLogsDecoder::OtlpLogsDecoder(DecodeOptions options)
    : options_(options),
      builder_(options_),
      request_(std::make_unique<otlp_collector::ExportLogsServiceRequest>()) {}

OtlpLogsDecoder::~OtlpLogsDecoder() = default;

tl::expected<void, RequestFailure> OtlpLogsDecoder::Decode(WireEncoding encoding,
                                                           std::string_view content_encoding,
                                                           const std::string& body,
                                                           DecodedBatch& out,
                                                           std::string_view tenant) {
  out.Clear();
  builder_.SetTenant(tenant);
  request_->Clear();
  auto decoded = DecodeBody(content_encoding, body, options_.max_body_bytes, decompressed_);
  if (!decoded) return tl::unexpected(std::move(decoded.error()));
  const std::string_view text = decoded->text;
  if (encoding == WireEncoding::kProtobuf) {
    if (!request_->ParseFromArray(text.data(), static_cast<int>(text.size()))) {
      return tl::unexpected(
          RequestFailure{400, "invalid protobuf: not an ExportLogsServiceRequest"});
    }
  } else {
    google::protobuf::util::JsonParseOptions parse_options;
    parse_options.ignore_unknown_fields = true;  // as OTLP requires of receivers
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(text.data(), text.size()), request_.get(), parse_options);
    if (!status.ok()) {
      return tl::unexpected(RequestFailure{
          400,
          "invalid OTLP JSON: " + std::string(status.message().data(), status.message().size())});
    }
  }

  size_t index = 0;
  for (const auto& resource_logs : request_->resource_logs()) {
    std::string_view service;
    std::string_view host;
    JsonMembers resource_labels;
    for (const auto& attribute : resource_logs.resource().attributes()) {
      const bool is_string = attribute.value().value_case() == otlp_common::AnyValue::kStringValue;
      if (attribute.key() == "service.name" && is_string) {
        service = attribute.value().string_value();
      } else if (attribute.key() == "host.name" && is_string) {
        host = attribute.value().string_value();
      } else {
        resource_labels.AddString(attribute.key(), LabelText(attribute.value()));
      }
    }
    for (const auto& scope_logs : resource_logs.scope_logs()) {
      for (const auto& record : scope_logs.log_records()) {
        fields_.Clear();
        fields_.service = service;
        fields_.host = host;
        if (!resource_labels.empty()) fields_.labels = resource_labels;
        if (!scope_logs.scope().name().empty()) {
          fields_.labels.AddString("otel.scope.name", scope_logs.scope().name());
        }
        const uint64_t nanos = record.time_unix_nano() != 0 ? record.time_unix_nano()
                                                            : record.observed_time_unix_nano();
        if (nanos != 0) fields_.timestamp_ms = static_cast<EpochMillis>(nanos / 1'000'000);
        fields_.level = !record.severity_text().empty()
                            ? std::string_view(record.severity_text())
                            : LevelOfSeverityNumber(record.severity_number());
        message_.clear();
        if (record.body().value_case() == otlp_common::AnyValue::kStringValue) {
          fields_.message = record.body().string_value();
        } else if (record.has_body()) {
          AppendAnyValueJson(message_, record.body());
          fields_.message = message_;
        }
        const auto to_hex = encoding == WireEncoding::kJson ? IdFromJson : IdFromProtobuf;
        to_hex(record.trace_id(), trace_id_);
        to_hex(record.span_id(), span_id_);
        if (!AllZero(trace_id_)) fields_.trace_id = trace_id_;
        if (!AllZero(span_id_)) fields_.span_id = span_id_;
        for (const auto& attribute : record.attributes()) {
          std::string value;
          AppendAnyValueJson(value, attribute.value());
          fields_.payload.AddRaw(attribute.key(), value);
        }
        if (!record.event_name().empty())
          fields_.payload.AddString("event.name", record.event_name());
        WriteEvent(fields_, event_json_);
        builder_.AddWritten(event_json_, index++, out);
      }
    }
  }
  return {};
}

std::string OtlpAnswer(WireEncoding encoding, const DecodedBatch& batch) {
  otlp_collector::ExportLogsServiceResponse response;
  if (batch.rejected > 0) {
    auto& partial = *response.mutable_partial_success();
    partial.set_rejected_log_records(static_cast<int64_t>(batch.rejected));
    std::string message;
    constexpr size_t kNamed = 10;
    for (size_t i = 0; i < batch.errors.size() && i < kNamed; ++i) {
      if (!message.empty()) message += "; ";
      message +=
          "log record " + std::to_string(batch.errors[i].index) + ": " + batch.errors[i].message;
    }
    if (batch.rejected > kNamed) message += "; ...";
    partial.set_error_message(message);
  }
  std::string out;
  if (encoding == WireEncoding::kProtobuf) {
    response.SerializeToString(&out);
  } else {
    (void)google::protobuf::util::MessageToJsonString(response, &out);
  }
  return out;
}

std::string OtlpStatus(WireEncoding encoding, int code, std::string_view message) {
  if (encoding == WireEncoding::kJson) {
    std::string out = "{\"code\":" + std::to_string(code) + ",\"message\":\"";
    AppendJsonEscaped(out, message);
    out += "\"}";
    return out;
  }
  // google.rpc.Status { int32 code = 1; string message = 2; }, written by hand: its .proto is
  // not in Debian's protobuf package, and these two fields are all an exporter logs.
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(1 << 3 | 0);
    coded.WriteVarint32SignExtended(code);
    coded.WriteTag(2 << 3 | 2);
    coded.WriteVarint32(static_cast<uint32_t>(message.size()));
    coded.WriteRaw(message.data(), static_cast<int>(message.size()));
  }
  return out;
}

}  // namespace lp::collector
