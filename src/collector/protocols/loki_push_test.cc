#include "collector/protocols/loki_push.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include "collector/protocols/loki_push.pb.h"

namespace lp::collector {
namespace {

class LokiPushDecoderTest : public testing::Test {
 protected:
  tl::expected<void, RequestFailure> Decode(WireEncoding encoding, std::string body) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    return decoder_.Decode(encoding, "", body, batch_, "acme");
  }
  std::string Event(size_t i) const { return std::string(batch_.Json(batch_.events.at(i))); }

  LokiPushDecoder decoder_{DecodeOptions{.max_body_bytes = 4096}};
  DecodedBatch batch_;
};

TEST_F(LokiPushDecoderTest, MapsTheJsonEncodingsLabelsLinesAndMetadata) {
  ASSERT_TRUE(Decode(WireEncoding::kJson, R"({"streams":[
    {"stream":{"job":"varlog","service_name":"checkout","host":"n1","level":"warn"},
     "values":[["1700000000123456789","cart emptied"],
               ["1700000001000000000","paid",{"trace_id":"t-1","order":"o-7","level":"error"}]]}]})"));
  ASSERT_EQ(batch_.events.size(), 2u);
  EXPECT_EQ(Event(0),
            R"({"tenant":"acme","timestamp":"2023-11-14T22:13:20.123Z","service":"checkout",)"
            R"("level":"WARN","message":"cart emptied","host":"n1","labels":{"job":"varlog",)"
            R"("service_name":"checkout","host":"n1","level":"warn"}})");
  const std::string second = Event(1);
  EXPECT_NE(second.find(R"("level":"ERROR","message":"paid")"), std::string::npos) << second;
  EXPECT_NE(second.find(R"("trace_id":"t-1")"), std::string::npos) << second;
  EXPECT_NE(second.find(R"("payload":{"order":"o-7"})"), std::string::npos) << second;
}

TEST_F(LokiPushDecoderTest, ReadsSnappyProtobufAndTakesJobAsTheServiceWithoutAServiceLabel) {
  logpipe::loki::PushRequest request;
  auto& stream = *request.add_streams();
  stream.set_labels(R"({job="api", env="prod \"eu\""})");
  auto& entry = *stream.add_entries();
  entry.mutable_timestamp()->set_seconds(1700000000);
  entry.mutable_timestamp()->set_nanos(5'000'000);
  entry.set_line("GET /health 200");
  auto& metadata = *entry.add_structured_metadata();
  metadata.set_name("span_id");
  metadata.set_value("s-9");
  std::string compressed;
  snappy::Compress(request.SerializeAsString().data(), request.ByteSizeLong(), &compressed);
  ASSERT_TRUE(Decode(WireEncoding::kProtobuf, compressed));
  ASSERT_EQ(batch_.events.size(), 1u);
  EXPECT_EQ(Event(0), R"({"tenant":"acme","timestamp":"2023-11-14T22:13:20.005Z","service":"api",)"
                      R"("level":"INFO","message":"GET /health 200","span_id":"s-9",)"
                      R"("labels":{"job":"api","env":"prod \"eu\""}})");
}

TEST_F(LokiPushDecoderTest, RejectsBadEntriesOneByOne) {
  ASSERT_TRUE(Decode(WireEncoding::kJson, R"({"streams":[{"stream":{},"values":[
    ["yesterday","x"],["1700000000000000000"],["1700000000000000000","ok"],
    ["1700000000000000000","x",{"n":1}]]}]})"));
  EXPECT_EQ(batch_.events.size(), 1u);
  EXPECT_EQ(batch_.events[0].index, 2u);
  ASSERT_EQ(batch_.errors.size(), 3u);
  EXPECT_NE(batch_.errors[0].message.find("not nanoseconds"), std::string::npos);
  EXPECT_EQ(batch_.errors[2].index, 3u);
}

TEST_F(LokiPushDecoderTest, RefusesABodyThatIsNoPushRequest) {
  EXPECT_EQ(Decode(WireEncoding::kJson, "[1,2]").error().status, 400u);
  EXPECT_EQ(
      Decode(WireEncoding::kJson, R"({"streams":[{"stream":{"a":1},"values":[]}]})").error().status,
      400u);
  EXPECT_EQ(Decode(WireEncoding::kProtobuf, "not snappy at all").error().status, 400u);
  std::string huge;
  const std::string zeros(8192, '\0');
  snappy::Compress(zeros.data(), zeros.size(), &huge);
  EXPECT_EQ(Decode(WireEncoding::kProtobuf, huge).error().status, 413u);
  EXPECT_EQ(WireEncodingOf("text/plain"), std::nullopt);
  EXPECT_EQ(WireEncodingOf("application/x-protobuf"), WireEncoding::kProtobuf);
}

TEST(LabelSetTest, ParsesPrometheusLabelSets) {
  LabelPairs labels;
  ASSERT_TRUE(ParseLabelSet(R"( {a="1",b = "x\"y\\z\n", c="",} )", labels));
  EXPECT_EQ(labels, (LabelPairs{{"a", "1"}, {"b", "x\"y\\z\n"}, {"c", ""}}));
  ASSERT_TRUE(ParseLabelSet("{}", labels));
  EXPECT_TRUE(labels.empty());
  for (const char* bad :
       {"", "a=\"1\"", "{a=1}", "{a=\"1\"", "{=\"1\"}", "{a=\"1\" b=\"2\"}", "{a=\"1\\\"}"}) {
    EXPECT_FALSE(ParseLabelSet(bad, labels)) << bad;
  }
}

}  // namespace
}  // namespace lp::collector
