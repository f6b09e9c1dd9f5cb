#include "queue/lag_reporter.h"

#include <gtest/gtest.h>

namespace lp::queue {
namespace {

// A consumer whose assignment and lag the test sets.
class ScriptedConsumer final : public Consumer {
 public:
  Result<std::vector<ConsumedRecord>> Poll(size_t, std::chrono::milliseconds) override {
    return std::vector<ConsumedRecord>{};
  }
  Result<void> Commit(std::span<const OffsetCommit>) override { return {}; }
  Result<std::optional<CommittedOffset>> Committed(int32_t) override { return std::nullopt; }
  Result<void> Seek(int32_t, int64_t) override { return {}; }
  std::vector<int32_t> Assignment() override {
    std::vector<int32_t> partitions;
    for (const auto& lag : lags) partitions.push_back(lag.partition);
    return partitions;
  }
  Result<std::vector<PartitionLag>> Lag() override { return lags; }

  std::vector<PartitionLag> lags;
};

TEST(LagReporterTest, ExportsEachHeldPartitionAndZeroesLostOnes) {
  metrics::Registry registry;
  ConsumerLagMetrics metrics(registry);
  LagReporter reporter(metrics, "processor", std::chrono::milliseconds(0));
  ScriptedConsumer consumer;
  consumer.lags = {{0, 5}, {3, 12}};
  reporter.Report(consumer);
  EXPECT_EQ(metrics.For("processor", 0).Value(), 5);
  EXPECT_EQ(metrics.For("processor", 3).Value(), 12);
  const auto text = registry.RenderText();
  EXPECT_NE(text.find("consumer_lag_messages{group=\"processor\",partition=\"3\"} 12"),
            std::string::npos)
      << text;

  consumer.lags = {{0, 1}};
  reporter.Report(consumer);
  EXPECT_EQ(metrics.For("processor", 0).Value(), 1);
  EXPECT_EQ(metrics.For("processor", 3).Value(), 0);
}

TEST(LagReporterTest, ReportsAtMostOncePerInterval) {
  metrics::Registry registry;
  ConsumerLagMetrics metrics(registry);
  LagReporter reporter(metrics, "archiver", std::chrono::hours(1));
  ScriptedConsumer consumer;
  consumer.lags = {{1, 7}};
  reporter.Report(consumer);
  consumer.lags = {{1, 9}};
  reporter.Report(consumer);
  EXPECT_EQ(metrics.For("archiver", 1).Value(), 7);
}

TEST(LagReporterTest, RecordAgeIsThatOfTheOldestPolledRecordAndZeroWhenCaughtUp) {
  metrics::Registry registry;
  ConsumerLagMetrics metrics(registry);
  LagReporter reporter(metrics, "archiver");
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<ConsumedRecord> records(2);
  records[0].timestamp_ms = now - 5'000;
  records[1].timestamp_ms = now - 90'000;
  reporter.Polled(records);
  EXPECT_NEAR(metrics.AgeFor("archiver").Value(), 90, 5);
  reporter.Polled({});
  EXPECT_EQ(metrics.AgeFor("archiver").Value(), 0);
  EXPECT_NE(registry.RenderText().find("consumer_record_age_seconds{group=\"archiver\"} 0"),
            std::string::npos);
}

}  // namespace
}  // namespace lp::queue
