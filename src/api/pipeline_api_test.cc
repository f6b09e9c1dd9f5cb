#include "api/pipeline_api.h"

#include <gtest/gtest.h>

namespace lp::api {
namespace {

TEST(PipelineApiTest, SamplesOfTheExpositionBecomeJsonWithoutBuckets) {
  metrics::Registry registry;
  registry.AddCounter("ingested_events_total", "Events.").WithLabels({}).Increment(3);
  registry.AddGauge("consumer_lag_messages", "Lag.", {"group", "partition"})
      .WithLabels({"processor", "0"})
      .Set(7);
  registry.AddHistogram("processing_latency_seconds", "Latency.", {0.5})
      .WithLabels({})
      .Observe(0.25);
  EXPECT_EQ(PipelineApi::SamplesJson(registry.RenderText()),
            "[{\"name\":\"ingested_events_total\",\"labels\":{},\"value\":3.000000},"
            "{\"name\":\"consumer_lag_messages\",\"labels\":{\"group\":\"processor\","
            "\"partition\":\"0\"},\"value\":7.000000},"
            "{\"name\":\"processing_latency_seconds_sum\",\"labels\":{},\"value\":0.250000},"
            "{\"name\":\"processing_latency_seconds_count\",\"labels\":{},\"value\":1.000000}]");
}

TEST(PipelineApiTest, EscapedLabelValuesAndInfinitiesStayValidJson) {
  EXPECT_EQ(PipelineApi::SamplesJson("# HELP x y\nx{route=\"a\\\"b\\\\c\\nd\"} +Inf\n"),
            "[{\"name\":\"x\",\"labels\":{\"route\":\"a\\\"b\\\\c\\nd\"},\"value\":null}]");
}

TEST(PipelineApiTest, StatusNamesTheSettingsAndTheStoreSize) {
  metrics::Registry registry;
  PipelineApi api(registry, PipelineSettings{.store = "embedded",
                                             .store_dir = "/nonexistent-logpipe-folder",
                                             .search_retention_days = 30,
                                             .spool_retention_ms = 1000,
                                             .input_topic = "app-logs",
                                             .dlq_topic = "dlq"});
  http::Request request;
  http::Response answer;
  api.HandleStatus(request, [&](http::Response response) { answer = std::move(response); });
  EXPECT_EQ(answer.status, 200u);
  EXPECT_NE(answer.body.find("\"settings\":{\"store\":\"embedded\",\"search_retention_days\":30,"
                             "\"spool_retention_ms\":1000,\"input_topic\":\"app-logs\","
                             "\"dlq_topic\":\"dlq\"},\"store_bytes\":0,\"metrics\":[]}"),
            std::string::npos)
      << answer.body;
}

}  // namespace
}  // namespace lp::api
