#include "collector/protocols/es_bulk.h"

#include <gtest/gtest.h>

#include "collector/protocols/es_api.h"

namespace lp::collector {
namespace {

class EsBulkDecoderTest : public testing::Test {
 protected:
  tl::expected<void, RequestFailure> Decode(std::string body, std::string_view path_index = "") {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    return decoder_.Decode(path_index, "", body, batch_);
  }
  std::string Event(size_t i) const {
    return std::string(batch_.events.Json(batch_.events.events.at(i)));
  }

  EsBulkDecoder decoder_;
  BulkBatch batch_;
};

TEST_F(EsBulkDecoderTest, SetsTheTenantFirst) {
  std::string body = "{\"index\":{\"_id\":\"a1\"}}\n{\"message\":\"x\"}\n";
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  ASSERT_TRUE(decoder_.Decode("", "", body, batch_, "acme"));
  ASSERT_EQ(batch_.events.events.size(), 1u);
  EXPECT_TRUE(Event(0).starts_with(R"({"tenant":"acme","_id":"a1",)")) << Event(0);
}

TEST_F(EsBulkDecoderTest, MapsEcsFieldsAndKeepsTheRestInPayload) {
  ASSERT_TRUE(Decode(R"({"index":{"_index":"shop","_id":"a1"}}
{"@timestamp":"2025-10-30T12:34:56.789Z","message":"paid","log":{"level":"warning","logger":"pay"},"service":{"name":"billing"},"host":{"name":"n1","ip":"10.0.0.1"},"trace.id":"t-1","labels":{"env":"prod","shard":3},"order":{"total":12.5}}
)"));
  ASSERT_EQ(batch_.events.events.size(), 1u);
  EXPECT_EQ(
      Event(0),
      R"({"_id":"a1","timestamp":"2025-10-30T12:34:56.789Z","service":"billing","level":"WARN",)"
      R"("message":"paid","host":"n1","trace_id":"t-1","labels":{"env":"prod","shard":"3"},)"
      R"("payload":{"log":{"logger":"pay"},"host":{"ip":"10.0.0.1"},"order":{"total":12.5}}})");
  EXPECT_EQ(batch_.events.Key(batch_.events.events[0]), "billing");
  ASSERT_EQ(batch_.items.size(), 1u);
  EXPECT_EQ(batch_.items[0].status, 201u);
  EXPECT_EQ(batch_.items[0].id, "a1");
}

TEST_F(EsBulkDecoderTest, TheIndexStandsInForAMissingServiceAndLevelDefaultsToInfo) {
  ASSERT_TRUE(
      Decode("{\"create\":{}}\n{\"message\":\"x\",\"@timestamp\":1700000000000}\n", "web-logs"));
  ASSERT_EQ(batch_.events.events.size(), 1u);
  const std::string event = Event(0);
  EXPECT_NE(
      event.find(R"("timestamp":"2023-11-14T22:13:20.000Z","service":"web-logs","level":"INFO")"),
      std::string::npos)
      << event;
  EXPECT_EQ(batch_.items[0].action, "create");
  EXPECT_EQ(batch_.items[0].index, "web-logs");
  EXPECT_EQ(batch_.items[0].id.size(), 20u);  // made up, and carried as the event's _id
  EXPECT_NE(event.find("\"_id\":\"" + batch_.items[0].id + "\""), std::string::npos);
}

TEST_F(EsBulkDecoderTest, NoIndexNoServiceIsUnknown) {
  ASSERT_TRUE(Decode("{\"index\":{}}\n{\"msg\":\"x\"}\n"));
  EXPECT_NE(Event(0).find(R"("service":"unknown","level":"INFO","message":"x")"),
            std::string::npos);
}

TEST_F(EsBulkDecoderTest, RefusesItemsOneByOneAndKeepsTheOthers) {
  ASSERT_TRUE(Decode(R"({"index":{"_index":"a"}}
{"message":"ok"}
{"index":{"_index":"a"}}
["not","an","object"]
{"delete":{"_index":"a","_id":"1"}}
{"update":{"_index":"a","_id":"2"}}
{"doc":{"x":1}}
{"index":{"_index":"a"}}
{"message":"bad time","@timestamp":"yesterday"}
)"));
  ASSERT_EQ(batch_.items.size(), 5u);
  EXPECT_EQ(batch_.events.events.size(), 1u);
  EXPECT_EQ(batch_.events.rejected, 4u);
  EXPECT_EQ(batch_.items[0].status, 201u);
  EXPECT_EQ(batch_.items[1].error_type, "document_parsing_exception");
  EXPECT_EQ(batch_.items[2].action, "delete");
  EXPECT_EQ(batch_.items[2].status, 400u);
  EXPECT_EQ(batch_.items[3].action, "update");
  EXPECT_NE(batch_.items[4].error_reason.find("RFC 3339"), std::string::npos);
  const std::string answer = BulkAnswerJson(batch_, 3);
  EXPECT_TRUE(answer.starts_with(R"({"took":3,"errors":true,"items":[{"index":{"_index":"a",)"))
      << answer;
}

TEST_F(EsBulkDecoderTest, AnswersEveryItemCreatedWhenAllAreAccepted) {
  ASSERT_TRUE(Decode("{\"index\":{\"_index\":\"a\",\"_id\":\"x\"}}\n{\"message\":\"m\"}\n"));
  EXPECT_EQ(BulkAnswerJson(batch_, 0),
            R"({"took":0,"errors":false,"items":[{"index":{"_index":"a","_id":"x","status":201,)"
            R"("_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},)"
            R"("_seq_no":0,"_primary_term":1}}]})");
}

TEST_F(EsBulkDecoderTest, RefusesTheRequestForAMalformedActionOrAMissingSource) {
  auto failed = Decode("{\"index\":{}}\n{\"message\":\"m\"}\nnot json\n");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().status, 400u);
  EXPECT_NE(failed.error().message.find("line 3"), std::string::npos) << failed.error().message;
  EXPECT_TRUE(batch_.items.empty());
  EXPECT_FALSE(Decode("{\"frobnicate\":{}}\n{}\n"));
  EXPECT_FALSE(Decode("{\"index\":{}}\n"));
  EXPECT_FALSE(Decode("\n\n"));
  EXPECT_FALSE(Decode("{\"index\":{\"_id\":5}}\n{}\n"));
}

TEST(EsBulkPathTest, FindsTheIndexInThePath) {
  EXPECT_EQ(IndexOfBulkPath("/_bulk"), "");
  EXPECT_EQ(IndexOfBulkPath("/es/_bulk"), "");
  EXPECT_EQ(IndexOfBulkPath("/logs-app/_bulk"), "logs-app");
  EXPECT_EQ(IndexOfBulkPath("/es/logs-app/_bulk"), "logs-app");
}

}  // namespace
}  // namespace lp::collector
