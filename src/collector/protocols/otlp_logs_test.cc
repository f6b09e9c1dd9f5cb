#include "collector/protocols/otlp_logs.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"

namespace lp::collector {
namespace {

namespace otlp = opentelemetry::proto;

class OtlpLogsDecoderTest : public testing::Test {
 protected:
  tl::expected<void, RequestFailure> Decode(WireEncoding encoding, std::string body) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    return decoder_.Decode(encoding, "", body, batch_);
  }
  std::string Event(size_t i) const { return std::string(batch_.Json(batch_.events.at(i))); }

  OtlpLogsDecoder decoder_{DecodeOptions{.event_limits = {.max_event_bytes = 1024}}};
  DecodedBatch batch_;
};

otlp::collector::logs::v1::ExportLogsServiceRequest SampleRequest() {
  otlp::collector::logs::v1::ExportLogsServiceRequest request;
  auto& resource_logs = *request.add_resource_logs();
  auto add_resource = [&](const std::string& key, const std::string& value) {
    auto& attribute = *resource_logs.mutable_resource()->add_attributes();
    attribute.set_key(key);
    attribute.mutable_value()->set_string_value(value);
  };
  add_resource("service.name", "checkout");
  add_resource("host.name", "pod-1");
  add_resource("deployment.environment", "prod");
  auto& scope_logs = *resource_logs.add_scope_logs();
  scope_logs.mutable_scope()->set_name("shop.cart");
  auto& record = *scope_logs.add_log_records();
  record.set_time_unix_nano(1'700'000'000'123'456'789ULL);
  record.set_severity_number(otlp::logs::v1::SEVERITY_NUMBER_WARN);
  record.mutable_body()->set_string_value("cart emptied");
  record.set_trace_id(
      std::string("\x5b\x8e\xff\xf7\x98\x03\x81\x03\xd2\x69\xb6\x33\x81\x3f\xc6\x0c", 16));
  record.set_span_id(std::string("\xee\xe1\x9b\x7e\xc3\xc1\xb1\x74", 8));
  auto& attribute = *record.add_attributes();
  attribute.set_key("cart.items");
  attribute.mutable_value()->set_int_value(3);
  auto& second = *scope_logs.add_log_records();
  second.set_severity_text("Error");
  auto& body = *second.mutable_body()->mutable_kvlist_value()->add_values();
  body.set_key("ok");
  body.mutable_value()->set_bool_value(false);
  return request;
}

TEST_F(OtlpLogsDecoderTest, MapsResourceSeverityBodyIdsAndAttributes) {
  ASSERT_TRUE(Decode(WireEncoding::kProtobuf, SampleRequest().SerializeAsString()));
  ASSERT_EQ(batch_.events.size(), 2u);
  EXPECT_EQ(
      Event(0),
      R"({"timestamp":"2023-11-14T22:13:20.123Z","service":"checkout","level":"WARN",)"
      R"("message":"cart emptied","host":"pod-1","trace_id":"5b8efff798038103d269b633813fc60c",)"
      R"("span_id":"eee19b7ec3c1b174","labels":{"deployment.environment":"prod",)"
      R"("otel.scope.name":"shop.cart"},"payload":{"cart.items":3}})");
  EXPECT_EQ(Event(1),
            R"({"service":"checkout","level":"ERROR","message":"{\"ok\":false}","host":"pod-1",)"
            R"("labels":{"deployment.environment":"prod","otel.scope.name":"shop.cart"}})");
}

TEST_F(OtlpLogsDecoderTest, ReadsTheJsonEncodingWithHexIds) {
  ASSERT_TRUE(Decode(WireEncoding::kJson, R"({"resourceLogs":[{"resource":{"attributes":[
    {"key":"service.name","value":{"stringValue":"json-svc"}}]},"scopeLogs":[{"logRecords":[
    {"timeUnixNano":"1700000000000000000","severityNumber":21,"body":{"stringValue":"hi"},
     "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174",
     "attributes":[{"key":"n","value":{"intValue":"42"}}],"someFutureField":1}]}]}]})"));
  ASSERT_EQ(batch_.events.size(), 1u);
  EXPECT_EQ(Event(0),
            R"({"timestamp":"2023-11-14T22:13:20.000Z","service":"json-svc","level":"FATAL",)"
            R"("message":"hi","trace_id":"5b8efff798038103d269b633813fc60c",)"
            R"("span_id":"eee19b7ec3c1b174","payload":{"n":42}})");
}

TEST_F(OtlpLogsDecoderTest, DefaultsServiceAndLevelAndAnswersPartialSuccess) {
  otlp::collector::logs::v1::ExportLogsServiceRequest request;
  auto& records = *request.add_resource_logs()->add_scope_logs();
  records.add_log_records()->mutable_body()->set_string_value("plain");
  records.add_log_records()->mutable_body()->set_string_value(std::string(2000, 'x'));
  ASSERT_TRUE(Decode(WireEncoding::kProtobuf, request.SerializeAsString()));
  ASSERT_EQ(batch_.events.size(), 1u);
  EXPECT_EQ(Event(0), R"({"service":"unknown","level":"INFO","message":"plain"})");
  otlp::collector::logs::v1::ExportLogsServiceResponse answer;
  ASSERT_TRUE(answer.ParseFromString(OtlpAnswer(WireEncoding::kProtobuf, batch_)));
  EXPECT_EQ(answer.partial_success().rejected_log_records(), 1);
  EXPECT_NE(answer.partial_success().error_message().find("log record 1: event is"),
            std::string::npos);
  EXPECT_EQ(OtlpAnswer(WireEncoding::kJson, DecodedBatch{}), "{}");
}

TEST_F(OtlpLogsDecoderTest, RefusesABodyThatIsNoExportRequest) {
  auto failed = Decode(WireEncoding::kProtobuf, "\xff\xff\xff");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().status, 400u);
  EXPECT_FALSE(Decode(WireEncoding::kJson, "{\"resourceLogs\":"));
  EXPECT_FALSE(WireEncodingOf("text/plain"));
  EXPECT_EQ(WireEncodingOf("application/x-protobuf"), WireEncoding::kProtobuf);
}

// The protobuf JSON mapping's other spellings: .proto field names, 64-bit integers as numbers,
// enum names, base64 bytes, nested values; an empty request has no records.
TEST_F(OtlpLogsDecoderTest, ReadsEveryJsonSpellingOfTheMapping) {
  ASSERT_TRUE(Decode(WireEncoding::kJson, R"({"resource_logs":[{"scope_logs":[{"log_records":[
    {"time_unix_nano":1700000000000000000,"severity_number":"SEVERITY_NUMBER_ERROR",
     "body":{"kvlistValue":{"values":[{"key":"k","value":{"arrayValue":{"values":[
       {"boolValue":true},{"doubleValue":1.5},{"bytesValue":"AQI="},{"intValue":-3}]}}}]}},
     "attributes":null}]}]}]})"));
  ASSERT_EQ(batch_.events.size(), 1u);
  EXPECT_EQ(Event(0), R"({"timestamp":"2023-11-14T22:13:20.000Z","service":"unknown",)"
                      R"("level":"ERROR","message":"{\"k\":[true,1.5,\"0102\",-3]}"})");
  ASSERT_TRUE(Decode(WireEncoding::kJson, "{}"));
  EXPECT_TRUE(batch_.events.empty());
}

TEST_F(OtlpLogsDecoderTest, RefusesJsonOfTheWrongShape) {
  for (const char* body :
       {R"([])", R"({"resourceLogs":{}})", R"({"resourceLogs":[1]})",
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"xyz0"}]}]}]})",
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"-1"}]}]}]})",
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"LOUD"}]}]}]})",
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"intValue":1.5}}]}]}]})"}) {
    const auto failed = Decode(WireEncoding::kJson, body);
    ASSERT_FALSE(failed) << body;
    EXPECT_EQ(failed.error().status, 400u);
    EXPECT_TRUE(failed.error().message.starts_with("invalid OTLP JSON: "))
        << failed.error().message;
  }
}

TEST(OtlpStatusTest, IsAGoogleRpcStatus) {
  EXPECT_EQ(OtlpStatus(WireEncoding::kJson, 14, "full"), R"({"code":14,"message":"full"})");
  EXPECT_EQ(OtlpStatus(WireEncoding::kProtobuf, 14, "full"), std::string("\x08\x0e\x12\x04"
                                                                         "full"));
}

}  // namespace
}  // namespace lp::collector
