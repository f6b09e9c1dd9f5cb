#include "collector/ingest_handler.h"

#include <gtest/gtest.h>

#include "collector/testing/recording_producer.h"

namespace lp::collector {
namespace {

using test_support::RecordingProducer;

class IngestHandlerTest : public testing::Test {
 protected:
  http::Response Post(std::string body, std::string content_type = "application/json",
                      std::string tenant = "") {
    http::Request request;
    request.method = "POST";
    request.path = "/logs";
    request.content_type = std::move(content_type);
    request.tenant = std::move(tenant);
    request.body = std::move(body);
    http::Response answer;
    handler_->HandleLogs(request,
                         [&answer](http::Response response) { answer = std::move(response); });
    return answer;
  }

  void MakeHandler(IngestOptions options = {}) {
    handler_.reset();
    pipeline_ = std::make_unique<IngestPipeline>(std::move(options), producer_, metrics_);
    handler_ = std::make_unique<IngestHandler>(DecodeOptions{}, *pipeline_);
  }

  metrics::Registry registry_;
  CollectorMetrics metrics_{registry_};
  RecordingProducer producer_;
  std::unique_ptr<IngestPipeline> pipeline_;
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

TEST_F(IngestHandlerTest, StampsEachEventWithTheSendersTenant) {
  MakeHandler();
  const auto response = Post(R"({"service":"a","level":"INFO","message":"x","tenant":"forged"})"
                             "\n"
                             R"({"service":"b","level":"INFO","message":"y"})",
                             "application/x-ndjson", "acme");
  EXPECT_EQ(response.status, 202u);
  EXPECT_EQ(producer_.values_,
            (std::vector<std::string>{
                R"({"tenant":"acme","service":"a","level":"INFO","message":"x"})",
                R"({"tenant":"acme","service":"b","level":"INFO","message":"y"})"}));
}

TEST_F(IngestHandlerTest, WithoutAuthenticationDropsATenantTheSenderWrote) {
  MakeHandler();
  EXPECT_EQ(Post(R"({"tenant":"forged","service":"a","level":"INFO","message":"x"})").status, 202u);
  EXPECT_EQ(producer_.values_,
            std::vector<std::string>{R"({"service":"a","level":"INFO","message":"x"})"});
}

TEST_F(IngestHandlerTest, RefusesATenantOverItsRateWith429AndRetryAfter) {
  security::RateLimiter limiter(registry_);
  limiter.SetLimits({{"acme", security::RateLimit{.events_per_second = 2, .events_burst = 2}},
                     {"tiny", security::RateLimit{.bytes_per_second = 10, .bytes_burst = 10}}});
  MakeHandler({.rate_limiter = &limiter});
  const std::string two = R"({"service":"a","level":"INFO","message":"x"})"
                          "\n"
                          R"({"service":"a","level":"INFO","message":"y"})";
  EXPECT_EQ(Post(two, "application/x-ndjson", "acme").status, 202u);
  const auto refused = Post(two, "application/x-ndjson", "acme");
  EXPECT_EQ(refused.status, 429u);
  ASSERT_EQ(refused.headers.size(), 1u);
  EXPECT_EQ(refused.headers[0].first, "Retry-After");
  EXPECT_EQ(producer_.values_.size(), 2u);  // the refused request left nothing in the queue
  EXPECT_EQ(Post(two, "application/x-ndjson", "globex").status, 202u);  // other tenants unaffected
  // Bytes are counted before decoding: a body the tenant cannot afford is not even parsed.
  EXPECT_EQ(Post(two, "application/x-ndjson", "tiny").status, 202u);  // a full bucket lets one by
  EXPECT_EQ(Post("not even JSON", "application/x-ndjson", "tiny").status, 429u);
  EXPECT_EQ(metrics_.requests_failed.WithLabels({"rate_limited"}).Value(), 2u);
}

}  // namespace
}  // namespace lp::collector
