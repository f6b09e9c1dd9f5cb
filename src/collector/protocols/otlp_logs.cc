#include "collector/protocols/otlp_logs.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <cmath>
#include <optional>
#include <type_traits>

#include "collector/body_decoding.h"
#include "core/hex.h"
#include "core/json_escape.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"

namespace lp::collector {
namespace {

namespace otlp_collector = opentelemetry::proto::collector::logs::v1;
namespace otlp_common = opentelemetry::proto::common::v1;
namespace otlp_logs = opentelemetry::proto::logs::v1;

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

// OTLP's JSON encoding (the protobuf JSON mapping, except that trace and span ids are hex) read
// with simdjson into the request message the protobuf encoding parses into, so that both take
// the same mapping. protobuf's own JSON parser took 60 µs an event (docs/PROTOCOLS.md). Field
// names in lowerCamelCase or as in the .proto; unknown fields are ignored, as OTLP requires.
class OtlpJsonReader {
 public:
  /// Empty when `root` is an export request, else what is wrong with it.
  std::string Read(simdjson::dom::element root, otlp_collector::ExportLogsServiceRequest& out) {
    error_.clear();
    ForEach(root, "resourceLogs", "resource_logs", [&](simdjson::dom::element resource_logs) {
      auto& resource_out = *out.add_resource_logs();
      if (const auto resource = Member(resource_logs, "resource", "resource")) {
        ForEach(*resource, "attributes", "attributes", [&](simdjson::dom::element attribute) {
          ReadKeyValue(attribute, *resource_out.mutable_resource()->add_attributes());
        });
      }
      ForEach(resource_logs, "scopeLogs", "scope_logs", [&](simdjson::dom::element scope_logs) {
        auto& scope_out = *resource_out.add_scope_logs();
        if (const auto scope = Member(scope_logs, "scope", "scope")) {
          const auto name = String(*scope, "name", "name");
          scope_out.mutable_scope()->set_name(name.data(), name.size());
        }
        ForEach(scope_logs, "logRecords", "log_records", [&](simdjson::dom::element record) {
          ReadRecord(record, *scope_out.add_log_records());
        });
      });
    });
    return error_;
  }

 private:
  void ReadRecord(simdjson::dom::element record, otlp_logs::LogRecord& out) {
    out.set_time_unix_nano(Integer<uint64_t>(record, "timeUnixNano", "time_unix_nano"));
    out.set_observed_time_unix_nano(
        Integer<uint64_t>(record, "observedTimeUnixNano", "observed_time_unix_nano"));
    const auto severity_text = String(record, "severityText", "severity_text");
    out.set_severity_text(severity_text.data(), severity_text.size());
    if (const auto number = Member(record, "severityNumber", "severity_number")) {
      otlp_logs::SeverityNumber severity{};
      std::string_view name;
      if (number->get_string().get(name) == simdjson::SUCCESS) {
        if (!otlp_logs::SeverityNumber_Parse(std::string(name), &severity)) Fail("severityNumber");
        out.set_severity_number(severity);
      } else {
        out.set_severity_number(static_cast<otlp_logs::SeverityNumber>(
            Integer<int32_t>(record, "severityNumber", "severity_number")));
      }
    }
    if (const auto body = Member(record, "body", "body")) ReadAnyValue(*body, *out.mutable_body());
    ForEach(record, "attributes", "attributes", [&](simdjson::dom::element attribute) {
      ReadKeyValue(attribute, *out.add_attributes());
    });
    out.set_trace_id(Id(record, "traceId", "trace_id"));
    out.set_span_id(Id(record, "spanId", "span_id"));
    const auto event_name = String(record, "eventName", "event_name");
    out.set_event_name(event_name.data(), event_name.size());
  }

  void ReadKeyValue(simdjson::dom::element pair, otlp_common::KeyValue& out) {
    const auto key = String(pair, "key", "key");
    out.set_key(key.data(), key.size());
    if (const auto value = Member(pair, "value", "value")) {
      ReadAnyValue(*value, *out.mutable_value());
    }
  }

  void ReadAnyValue(simdjson::dom::element value, otlp_common::AnyValue& out) {
    if (Member(value, "stringValue", "string_value")) {
      const auto text = String(value, "stringValue", "string_value");
      out.set_string_value(text.data(), text.size());
    } else if (const auto flag = Member(value, "boolValue", "bool_value")) {
      bool set = false;
      if (flag->get_bool().get(set) != simdjson::SUCCESS) Fail("boolValue");
      out.set_bool_value(set);
    } else if (Member(value, "intValue", "int_value")) {
      out.set_int_value(Integer<int64_t>(value, "intValue", "int_value"));
    } else if (const auto number = Member(value, "doubleValue", "double_value")) {
      double real = 0;
      if (number->get_double().get(real) != simdjson::SUCCESS) Fail("doubleValue");
      out.set_double_value(real);
    } else if (const auto array = Member(value, "arrayValue", "array_value")) {
      auto& values = *out.mutable_array_value();
      ForEach(*array, "values", "values",
              [&](simdjson::dom::element element) { ReadAnyValue(element, *values.add_values()); });
    } else if (const auto list = Member(value, "kvlistValue", "kvlist_value")) {
      auto& values = *out.mutable_kvlist_value();
      ForEach(*list, "values", "values",
              [&](simdjson::dom::element pair) { ReadKeyValue(pair, *values.add_values()); });
    } else if (Member(value, "bytesValue", "bytes_value")) {
      std::string bytes;
      if (!Base64Decode(String(value, "bytesValue", "bytes_value"), bytes)) Fail("bytesValue");
      out.set_bytes_value(std::move(bytes));
    }
  }

  std::optional<simdjson::dom::element> Member(simdjson::dom::element object,
                                               std::string_view camel, std::string_view snake) {
    simdjson::dom::object members;
    if (object.get_object().get(members) != simdjson::SUCCESS) {
      Fail(camel);
      return std::nullopt;
    }
    simdjson::dom::element found;
    if (members.at_key(camel).get(found) == simdjson::SUCCESS ||
        (snake != camel && members.at_key(snake).get(found) == simdjson::SUCCESS)) {
      if (found.is_null()) return std::nullopt;
      return found;
    }
    return std::nullopt;
  }

  // Calls `visit` on each element of the array member, if there is one.
  template <typename Visit>
  void ForEach(simdjson::dom::element object, std::string_view camel, std::string_view snake,
               Visit visit) {
    const auto found = Member(object, camel, snake);
    if (!found) return;
    simdjson::dom::array elements;
    if (found->get_array().get(elements) != simdjson::SUCCESS) return Fail(camel);
    for (const auto element : elements) visit(element);
  }

  std::string_view String(simdjson::dom::element object, std::string_view camel,
                          std::string_view snake) {
    std::string_view text;
    const auto found = Member(object, camel, snake);
    if (found && found->get_string().get(text) != simdjson::SUCCESS) Fail(camel);
    return text;
  }

  // A 64-bit integer, as the protobuf JSON mapping writes it (a string) or as a number.
  template <typename Integral>
  Integral Integer(simdjson::dom::element object, std::string_view camel, std::string_view snake) {
    const auto found = Member(object, camel, snake);
    if (!found) return 0;
    Integral value = 0;
    std::string_view text;
    if (found->get_string().get(text) == simdjson::SUCCESS) {
      const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
      if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) Fail(camel);
      return value;
    }
    if constexpr (std::is_signed_v<Integral>) {
      int64_t number = 0;
      if (found->get_int64().get(number) != simdjson::SUCCESS ||
          static_cast<int64_t>(static_cast<Integral>(number)) != number) {
        Fail(camel);
      }
      return static_cast<Integral>(number);
    } else {
      uint64_t number = 0;
      if (found->get_uint64().get(number) != simdjson::SUCCESS) Fail(camel);
      return number;
    }
  }

  // A trace or span id: hex in OTLP's JSON, bytes in the message.
  std::string Id(simdjson::dom::element object, std::string_view camel, std::string_view snake) {
    const std::string_view hex = String(object, camel, snake);
    std::string bytes(hex.size() / 2, '\0');
    if (hex.size() % 2 != 0) Fail(camel);
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      const int high = HexValue(hex[i]);
      const int low = HexValue(hex[i + 1]);
      if (high < 0 || low < 0) Fail(camel);
      bytes[i / 2] = static_cast<char>((high << 4) | (low & 15));
    }
    return bytes;
  }

  static bool Base64Decode(std::string_view text, std::string& out) {
    uint32_t bits = 0;
    int count = 0;
    for (const char c : text) {
      int digit = -1;
      if (c >= 'A' && c <= 'Z') digit = c - 'A';
      if (c >= 'a' && c <= 'z') digit = c - 'a' + 26;
      if (c >= '0' && c <= '9') digit = c - '0' + 52;
      if (c == '+' || c == '-') digit = 62;
      if (c == '/' || c == '_') digit = 63;
      if (c == '=') break;
      if (digit < 0) return false;
      bits = (bits << 6) | static_cast<uint32_t>(digit);
      if ((count += 6) >= 8) out += static_cast<char>((bits >> (count -= 8)) & 0xff);
    }
    return true;
  }

  void Fail(std::string_view field) {
    if (error_.empty()) error_ = "field " + std::string(field) + " has the wrong type or value";
  }

  std::string error_;
};

// A label's value: strings as they are, anything else as its JSON text.
std::string LabelText(const otlp_common::AnyValue& value) {
  if (value.value_case() == otlp_common::AnyValue::kStringValue) return value.string_value();
  std::string text;
  AppendAnyValueJson(text, value);
  return text;
}

}  // namespace

OtlpLogsDecoder::OtlpLogsDecoder(DecodeOptions options) : options_(options), builder_(options_) {}

tl::expected<void, RequestFailure> OtlpLogsDecoder::Decode(WireEncoding encoding,
                                                           std::string_view content_encoding,
                                                           const std::string& body,
                                                           DecodedBatch& out,
                                                           std::string_view tenant) {
  out.Clear();
  builder_.SetTenant(tenant);
  auto& request = arena_.Fresh<otlp_collector::ExportLogsServiceRequest>();
  auto decoded = DecodeBody(content_encoding, body, options_.max_body_bytes, decompressed_);
  if (!decoded) return tl::unexpected(std::move(decoded.error()));
  const std::string_view text = decoded->text;
  if (encoding == WireEncoding::kProtobuf) {
    if (!request.ParseFromArray(text.data(), static_cast<int>(text.size()))) {
      return tl::unexpected(
          RequestFailure{400, "invalid protobuf: not an ExportLogsServiceRequest"});
    }
  } else {
    simdjson::dom::element root;
    if (const auto code = parser_.parse(text.data(), text.size(), false).get(root)) {
      return tl::unexpected(
          RequestFailure{400, std::string("invalid OTLP JSON: ") + simdjson::error_message(code)});
    }
    if (auto error = OtlpJsonReader().Read(root, request); !error.empty()) {
      return tl::unexpected(RequestFailure{400, "invalid OTLP JSON: " + std::move(error)});
    }
  }

  size_t index = 0;
  for (const auto& resource_logs : request.resource_logs()) {
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
        IdFromProtobuf(record.trace_id(), trace_id_);
        IdFromProtobuf(record.span_id(), span_id_);
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
