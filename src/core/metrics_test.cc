#include "core/metrics.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace lp::metrics {
namespace {

std::string ReadGolden(const std::string& name) {
  std::ifstream file(std::string(LOGPIPE_SOURCE_DIR) + "/tests/golden/" + name);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

TEST(MetricsTest, RendersPrometheusTextFormat) {
  Registry registry;
  auto& produced = registry.AddCounter("logs_produced_total", "Events written to the queue.");
  produced.WithLabels({}).Increment(42);
  auto& requests = registry.AddCounter("http_requests_total", "HTTP requests by route and code.",
                                       {"route", "code"});
  requests.WithLabels({"/logs", "202"}).Increment(3);
  requests.WithLabels({"/logs", "400"}).Increment();
  registry.AddGauge("spool_bytes", "Bytes held in the spool.").WithLabels({}).Set(1.5);
  auto& latency = registry.AddHistogram("produce_latency_seconds", "Produce to acknowledgement.",
                                        {0.001, 0.01, 0.1});
  auto& histogram = latency.WithLabels({});
  histogram.Observe(0.0005);
  histogram.Observe(0.001);
  histogram.Observe(0.05);
  histogram.Observe(2);
  registry.AddCounter("escaped_total", "Label escaping.", {"value"})
      .WithLabels({"a\"b\\c\nd"})
      .Increment();

  EXPECT_EQ(registry.RenderText(), ReadGolden("metrics_exposition.txt"));
}

TEST(MetricsTest, RefusesDuplicateNamesAndWrongLabelCounts) {
  Registry registry;
  auto& family = registry.AddCounter("a_total", "A.", {"x"});
  EXPECT_THROW(registry.AddGauge("a_total", "again"), std::invalid_argument);
  EXPECT_THROW(family.WithLabels({}), std::invalid_argument);
}

TEST(MetricsTest, HistogramBucketsAreUpperInclusive) {
  Histogram histogram({1, 2});
  histogram.Observe(1);
  histogram.Observe(1.5);
  histogram.Observe(3);
  EXPECT_EQ(histogram.BucketCounts(), (std::vector<uint64_t>{1, 1, 1}));
  EXPECT_EQ(histogram.Count(), 3u);
  EXPECT_DOUBLE_EQ(histogram.Sum(), 5.5);
}

}  // namespace
}  // namespace lp::metrics
