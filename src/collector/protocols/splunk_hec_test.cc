#include "collector/protocols/splunk_hec.h"

#include <gtest/gtest.h>

#include "collector/protocols/hec_http.h"

namespace lp::collector {
namespace {

class HecDecoderTest : public testing::Test {
 protected:
  tl::expected<void, RequestFailure> Events(std::string body) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    return decoder_.DecodeEvents("", body, batch_, "acme");
  }
  std::string Event(size_t i) const { return std::string(batch_.Json(batch_.events.at(i))); }

  HecDecoder decoder_;
  DecodedBatch batch_;
};

TEST_F(HecDecoderTest, MapsEventsBackToBackWithTheirMetadataAndFields) {
  ASSERT_TRUE(Events(
      R"({"time":1700000000.25,"host":"web-1","source":"checkout","sourcetype":"_json",)"
      R"("index":"main","event":"order paid","fields":{"region":"eu","n":3,"level":"warn"}})"
      R"({"event":{"message":"m","log.level":"error","service.name":"billing","user":"u-1"}})"
      "\n"
      R"({"time":"1700000001","event":[1,2]})"));
  ASSERT_EQ(batch_.events.size(), 3u);
  EXPECT_EQ(Event(0),
            R"({"tenant":"acme","timestamp":"2023-11-14T22:13:20.250Z","service":"checkout",)"
            R"("level":"WARN","message":"order paid","host":"web-1","labels":{"region":"eu",)"
            R"("n":"3","level":"warn","source":"checkout","sourcetype":"_json","index":"main"}})");
  const std::string mapped = Event(1);
  EXPECT_NE(mapped.find(R"("service":"billing","level":"ERROR","message":"m")"), std::string::npos)
      << mapped;
  EXPECT_NE(mapped.find(R"("payload":{"user":"u-1"})"), std::string::npos) << mapped;
  EXPECT_NE(Event(2).find(R"("timestamp":"2023-11-14T22:13:21.000Z","service":"unknown",)"
                          R"("level":"INFO","message":"[1,2]")"),
            std::string::npos)
      << Event(2);
}

TEST_F(HecDecoderTest, RejectsEventsWithoutAnEventOneByOne) {
  ASSERT_TRUE(Events(R"({"host":"h"} {"event":"  "} {"event":"ok"} {"event":"x","time":"soon"})"));
  EXPECT_EQ(batch_.events.size(), 1u);
  ASSERT_EQ(batch_.errors.size(), 3u);
  EXPECT_EQ(batch_.errors[0].message, kHecEventRequired);
  EXPECT_EQ(batch_.errors[1].message, kHecEventBlank);
  EXPECT_EQ(batch_.errors[2].index, 3u);
}

TEST_F(HecDecoderTest, RefusesNoDataAndWhatIsNotJson) {
  EXPECT_EQ(Events("  \n").error().message, "No data");
  EXPECT_EQ(Events(R"({"event":"a"} {"event":)").error().status, 400u);
  EXPECT_EQ(Events("plain text").error().status, 400u);
}

TEST_F(HecDecoderTest, ReadsRawLinesWithTheQueryStringsMetadata) {
  std::string body = "first line\r\n\nsecond line\n";
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  ASSERT_TRUE(decoder_.DecodeRaw(
      "", body, {.host = "h1", .source = "nginx", .sourcetype = "access", .index = ""}, batch_));
  ASSERT_EQ(batch_.events.size(), 2u);
  const std::string first = Event(0);
  EXPECT_NE(first.find(R"("service":"nginx","level":"INFO","message":"first line","host":"h1",)"
                       R"("labels":{"source":"nginx","sourcetype":"access"})"),
            std::string::npos)
      << first;
}

TEST(HecAnswerTest, IsTextAndCode) {
  EXPECT_EQ(HecAnswer(200, 0, "Success").body, R"({"text":"Success","code":0})");
  EXPECT_EQ(HecAnswer(400, 12, "Event field is required", 3).body,
            R"({"text":"Event field is required","code":12,"invalid-event-number":3})");
}

}  // namespace
}  // namespace lp::collector
