#include "collector/protobuf_log.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "collector/collector_metrics.h"
#include "collector/protocols/otlp_logs.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"

namespace lp::collector {
namespace {

// A client's protobuf request with invalid UTF-8 in a string field: libprotobuf's complaint is
// counted in the metric, and the request is answered as before (400).
TEST(ProtobufLogTest, InvalidUtf8InARequestIsCountedNotLogged) {
  InstallProtobufLogHandler();
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest request;
  request.add_resource_logs()
      ->add_scope_logs()
      ->add_log_records()
      ->mutable_body()
      ->set_string_value("\xff\xfe not UTF-8");
  std::string body;
  request.SerializeToString(&body);  // libprotobuf complains here too.
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);

  metrics::Registry registry;
  CollectorMetrics metrics(registry);
  const uint64_t before = ProtobufLogMessages();
  OtlpLogsDecoder decoder;
  DecodedBatch batch;
  const auto decoded = decoder.Decode(WireEncoding::kProtobuf, "", body, batch);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().status, 400u);
  EXPECT_EQ(ProtobufLogMessages(), before + 1);
  EXPECT_NE(registry.RenderText().find("protobuf_log_messages_total " +
                                       std::to_string(ProtobufLogMessages())),
            std::string::npos);
}

}  // namespace
}  // namespace lp::collector
