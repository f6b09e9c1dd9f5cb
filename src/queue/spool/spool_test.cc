#include "queue/spool/spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <future>

#include "core/testing/temp_directory.h"

namespace lp::queue::spool {
namespace {

using namespace std::chrono_literals;

class SpoolTest : public testing::Test {
 protected:
  std::unique_ptr<Spool> OpenSpool(SpoolOptions options, metrics::Registry& registry) {
    options.directory = directory_;
    auto spool = Spool::Open(std::move(options), registry);
    EXPECT_TRUE(spool.has_value()) << spool.error().message;
    return spool ? std::move(*spool) : nullptr;
  }

  static Result<void> ProduceSync(Spool& spool, int count, const std::string& value) {
    std::vector<std::string> keys;
    for (int i = 0; i < count; ++i) keys.push_back("svc-" + std::to_string(i % 4));
    std::vector<OutgoingRecord> records;
    for (const auto& key : keys) records.push_back(OutgoingRecord{key, value, 1, {}});
    std::promise<Result<void>> done;
    spool.Produce("app-logs", records, [&](Result<void> result) { done.set_value(result); });
    return done.get_future().get();
  }

  lp::test_support::TempDirectory temp_{"spool"};
  const std::filesystem::path& directory_ = temp_.path();
};

TEST_F(SpoolTest, RefusesAsRetryableWhenFullAndRecoversOnceConsumed) {
  metrics::Registry registry;
  auto spool = OpenSpool({.segment_bytes = 2048, .max_bytes = 16 * 1024}, registry);
  auto consumer = spool->Subscribe("reader", "app-logs");
  ASSERT_TRUE(consumer.has_value());
  const std::string value(200, 'x');
  Result<void> result;
  int accepted = 0;
  while ((result = ProduceSync(*spool, 4, value)).has_value()) ++accepted;
  EXPECT_TRUE(result.error().retryable());
  EXPECT_NE(result.error().message.find("spool is full"), std::string::npos);
  EXPECT_FALSE(spool->CheckReady().has_value());

  // Consuming and committing everything lets retention free the space.
  std::map<int32_t, int64_t> next;
  size_t read = 0;
  while (read < static_cast<size_t>(accepted) * 4) {
    auto batch = (*consumer)->Poll(1000, 1s);
    ASSERT_TRUE(batch.has_value());
    ASSERT_FALSE(batch->empty());
    read += batch->size();
    for (const auto& record : *batch) next[record.partition] = record.offset + 1;
  }
  std::vector<OffsetCommit> commits;
  for (const auto& [partition, offset] : next) commits.push_back({partition, offset, ""});
  const uint64_t held_before = spool->SizeBytes();
  ASSERT_TRUE((*consumer)->Commit(commits).has_value());
  // The maintenance thread, woken by the refusals, may get there first; either way space is freed.
  spool->ReclaimSpace();
  EXPECT_LT(spool->SizeBytes(), held_before);
  EXPECT_TRUE(spool->CheckReady().has_value());
  EXPECT_TRUE(ProduceSync(*spool, 4, value).has_value());
}

TEST_F(SpoolTest, FreesNothingByConsumptionWithoutRegisteredGroups) {
  metrics::Registry registry;
  auto spool = OpenSpool({.segment_bytes = 1024}, registry);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ProduceSync(*spool, 4, std::string(200, 'y')));
  EXPECT_EQ(spool->ReclaimSpace(), 0u);
}

TEST_F(SpoolTest, AgeRetentionDeletesOldClosedSegments) {
  metrics::Registry registry;
  auto spool = OpenSpool({.segment_bytes = 1024, .retention = 0ms}, registry);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ProduceSync(*spool, 4, std::string(200, 'y')));
  const uint64_t held_before = spool->SizeBytes();
  spool->ReclaimSpace();
  EXPECT_LT(spool->SizeBytes(), held_before);
}

TEST_F(SpoolTest, FsyncAlwaysAcknowledgesDurableVisibleRecords) {
  metrics::Registry registry;
  auto spool = OpenSpool({.fsync = FsyncPolicy::kAlways}, registry);
  ASSERT_TRUE(ProduceSync(*spool, 10, "durable").has_value());
  auto consumer = spool->Subscribe("g", "app-logs");
  ASSERT_TRUE(consumer.has_value());
  auto batch = (*consumer)->Poll(100, 5s);
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->size(), 10u);
  EXPECT_NE(registry.RenderText().find("spool_fsync_duration_seconds_count"), std::string::npos);
}

TEST_F(SpoolTest, OnlyOneProcessOrInstanceOwnsAFolder) {
  metrics::Registry first_registry, second_registry;
  auto first = OpenSpool({}, first_registry);
  auto second = Spool::Open({.directory = directory_}, second_registry);
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().message.find("in use by another logpipe process"), std::string::npos);
}

TEST_F(SpoolTest, KeepsRecordsAndCommittedOffsetsAcrossReopen) {
  {
    metrics::Registry registry;
    auto spool = OpenSpool({}, registry);
    ASSERT_TRUE(ProduceSync(*spool, 8, "kept").has_value());
    auto consumer = spool->Subscribe("g", "app-logs");
    ASSERT_TRUE(consumer.has_value());
    auto batch = (*consumer)->Poll(100, 5s);
    ASSERT_TRUE(batch.has_value());
    ASSERT_EQ(batch->size(), 8u);
    const OffsetCommit commit{batch->front().partition, batch->front().offset + 1, "meta"};
    ASSERT_TRUE((*consumer)->Commit(std::span(&commit, 1)).has_value());
  }
  metrics::Registry registry;
  auto spool = OpenSpool({.partitions = 3}, registry);
  auto consumer = spool->Subscribe("g", "app-logs");
  ASSERT_TRUE(consumer.has_value());
  // The topic keeps its 8 partitions although 3 are configured now.
  EXPECT_EQ((*consumer)->Assignment().size(), 8u);
  auto batch = (*consumer)->Poll(100, 5s);
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->size(), 7u);
}

TEST_F(SpoolTest, PollWakesWhenDataArrives) {
  metrics::Registry registry;
  auto spool = OpenSpool({}, registry);
  auto consumer = spool->Subscribe("g", "app-logs");
  ASSERT_TRUE(consumer.has_value());
  auto polled = std::async(std::launch::async, [&] { return (*consumer)->Poll(10, 60s); });
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(ProduceSync(*spool, 1, "wake").has_value());
  auto batch = polled.get();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->size(), 1u);
  // Far below the poll timeout: the consumer was woken, it did not time out.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
}

TEST_F(SpoolTest, RejectsInvalidTopicAndGroupNames) {
  metrics::Registry registry;
  auto spool = OpenSpool({}, registry);
  EXPECT_FALSE(spool->Subscribe("../etc", "app-logs").has_value());
  EXPECT_FALSE(spool->Subscribe("g", "a/b").has_value());
}

}  // namespace
}  // namespace lp::queue::spool
