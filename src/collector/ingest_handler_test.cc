#include "collector/ingest_handler.h"

#include <gtest/gtest.h>

namespace lp::collector {
namespace {

// Records what the handler hands to the queue; answers with a preset result.
class RecordingProducer : public queue::Producer {
 public:
  void Produce(std::string_view topic, std::span<const queue::OutgoingRecord> records,
               queue::ProduceCallback done) override {
    topic_ = std::string(topic);
    for (const auto& record : records) {
      keys_.emplace_back(record.key);
      values_.emplace_back(record.value);
    }
    done(result_);
  }

  Result<void> result_;
  std::string topic_;
  std::vector<std::string> keys_;
  std::vector<std::string> values_;
};

class IngestHandlerTest : public testing::Test {
 protected:
  http::Response Post(std::string body, std::string content_type = "application/json",
                      std::string authorization = "") {
    http::Request request;
    request.method = "POST";
    request.path = "/logs";
    request.content_type = std::move(content_type);
    request.authorization = std::move(authorization);
    request.body = std::move(body);
    http::Response answer;
    handler_->HandleLogs(request,
                         [&answer](http::Response response) { answer = std::move(response); });
    return answer;
  }

  void MakeHandler(std::string auth_token = "") {
    auth_ = std::make_unique<ShipperAuth>(std::move(auth_token));
    handler_ = std::make_unique<IngestHandler>(DecodeOptions{}, pipeline_, *auth_);
  }

  metrics::Registry registry_;
  CollectorMetrics metrics_{registry_};
  RecordingProducer producer_;
  IngestPipeline pipeline_{"app-logs", producer_, metrics_};
  std::unique_ptr<ShipperAuth> auth_;
  std::unique_ptr<IngestHandler> handler_;
};

TEST_F(IngestHandlerTest, ProducesAcceptedEventsKeyedByServiceAndSummarizes) {
  MakeHandler();
  const auto response = Post(R"([{"service":"a","level":"info","message":"x"},{"service":"b"}])");
  EXPECT_EQ(response.status, 202u);
  EXPECT_EQ(
      response.body,
      R"({"accepted":1,"rejected":1,"errors":[{"index":1,"error":"missing required field \"level\""}]})");
  EXPECT_EQ(producer_.topic_, "app-logs");
  EXPECT_EQ(producer_.keys_, std::vector<std::string>{"a"});
  EXPECT_EQ(producer_.values_,
            std::vector<std::string>{R"({"service":"a","level":"info","message":"x"})"});
  EXPECT_EQ(metrics_.logs_produced.Value(), 1u);
  EXPECT_EQ(metrics_.events_rejected.Value(), 1u);
  EXPECT_EQ(metrics_.ForProtocol("logs").logs_produced.Value(), 1u);
  EXPECT_EQ(metrics_.ForProtocol("logs").logs_rejected.Value(), 1u);
}

TEST_F(IngestHandlerTest, AnswersBadRequestWhenNoEventIsValid) {
  MakeHandler();
  const auto response = Post(R"({"service":"a"})");
  EXPECT_EQ(response.status, 400u);
  EXPECT_NE(response.body.find(R"("accepted":0)"), std::string::npos);
  EXPECT_TRUE(producer_.values_.empty());
}

TEST_F(IngestHandlerTest, AnswersServiceUnavailableWithRetryAfterWhenTheQueueIsFull) {
  MakeHandler();
  producer_.result_ = Retryable("spool is full");
  const auto response = Post(R"({"service":"a","level":"INFO","message":"x"})");
  EXPECT_EQ(response.status, 503u);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Retry-After");
  EXPECT_EQ(metrics_.producer_errors.Value(), 1u);
  EXPECT_EQ(metrics_.logs_produced.Value(), 0u);
}

TEST_F(IngestHandlerTest, RequiresTheBearerTokenWhenConfigured) {
  MakeHandler("s3cret");
  const std::string event = R"({"service":"a","level":"INFO","message":"x"})";
  EXPECT_EQ(Post(event).status, 401u);
  EXPECT_EQ(Post(event, "application/json", "Bearer wrong!").status, 401u);
  EXPECT_EQ(Post(event, "application/json", "Bearer s3cret").status, 202u);
}

}  // namespace
}  // namespace lp::collector
