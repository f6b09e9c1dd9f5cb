#include "queue/spool/spool.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <future>

#include "core/murmur2.h"
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

TEST_F(SpoolTest, RecordsAppendedAfterTheEndMovedBackAreNotSkippedByConsumers) {
  {
    metrics::Registry registry;
    auto spool = OpenSpool({.partitions = 1}, registry);
    auto consumer = spool->Subscribe("processor", "app-logs");
    ASSERT_TRUE(consumer.has_value());
    ASSERT_TRUE(ProduceSync(*spool, 10, "before"));
    ASSERT_TRUE((*consumer)->Commit(std::vector<OffsetCommit>{{0, 10, ""}}).has_value());
  }
  // A power loss keeps the fsynced offsets file but only the first 6 records (a clean cut).
  const auto segment = directory_ / "app-logs" / "0" / "00000000000000000000.log";
  const auto size = std::filesystem::file_size(segment);
  std::filesystem::resize_file(segment, size / 10 * 6);

  metrics::Registry registry;
  auto spool = OpenSpool({.partitions = 1}, registry);
  auto consumer = spool->Subscribe("processor", "app-logs");
  ASSERT_TRUE(consumer.has_value());
  ASSERT_TRUE(ProduceSync(*spool, 3, "after"));
  std::vector<ConsumedRecord> seen;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (seen.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->Poll(100, 100ms);
    ASSERT_TRUE(batch.has_value());
    seen.insert(seen.end(), batch->begin(), batch->end());
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen.front().offset, 10);
  for (const auto& record : seen) EXPECT_EQ(record.value, "after");
  EXPECT_NE(registry.RenderText().find("spool_offsets_skipped_total 4"), std::string::npos);
}

// Makes writes past `bytes` in any file fail (EFBIG), as a full disk makes them fail.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  rlimit saved_{};
};

TEST_F(SpoolTest, ARequestAnsweredWithAnErrorLeavesNothingInAnyPartition) {
  metrics::Registry registry;
  auto spool = OpenSpool({.partitions = 2}, registry);
  std::string key_of[2];
  for (int i = 0; key_of[0].empty() || key_of[1].empty(); ++i) {
    const std::string key = "svc-" + std::to_string(i);
    key_of[PartitionForKey(key, 2)] = key;
  }
  const auto produce = [&](const std::vector<std::string>& keys, const std::string& value) {
    std::vector<OutgoingRecord> records;
    for (const auto& key : keys) records.push_back(OutgoingRecord{key, value, 1, {}});
    std::promise<Result<void>> done;
    spool->Produce("app-logs", records, [&](Result<void> result) { done.set_value(result); });
    return done.get_future().get();
  };
  // Partition 1's segment is large, partition 0's small: under a file size limit between the
  // two, a batch for both is written to partition 0 first, then fails on partition 1.
  ASSERT_TRUE(produce(std::vector<std::string>(50, key_of[1]), std::string(1000, 'f')));
  const auto big =
      std::filesystem::file_size(directory_ / "app-logs" / "1" / "00000000000000000000.log");
  {
    FileSizeLimit limit(big + 100);
    const auto refused =
        produce({key_of[0], key_of[0], key_of[1], key_of[1]}, std::string(500, 'x'));
    ASSERT_FALSE(refused.has_value());
    EXPECT_TRUE(refused.error().retryable());
    const auto ready = spool->CheckReady();
    ASSERT_FALSE(ready.has_value());
    EXPECT_NE(ready.error().message.find("spool writes fail"), std::string::npos);
  }
  EXPECT_EQ(std::filesystem::file_size(directory_ / "app-logs" / "0" / "00000000000000000000.log"),
            0u);
  ASSERT_TRUE(produce({key_of[0]}, "after"));
  EXPECT_TRUE(spool->CheckReady().has_value());
  auto consumer = spool->Subscribe("reader", "app-logs");
  ASSERT_TRUE(consumer.has_value());
  std::vector<ConsumedRecord> seen;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (seen.size() < 51 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->Poll(100, 100ms);
    ASSERT_TRUE(batch.has_value());
    seen.insert(seen.end(), batch->begin(), batch->end());
  }
  ASSERT_EQ(seen.size(), 51u);
  for (const auto& record : seen) EXPECT_NE(record.value, std::string(500, 'x'));
  const auto after = std::find_if(seen.begin(), seen.end(),
                                  [](const auto& record) { return record.partition == 0; });
  ASSERT_NE(after, seen.end());
  EXPECT_EQ(after->offset, 0);
  EXPECT_EQ(after->value, "after");
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

TEST_F(SpoolTest, AgeRetentionSaysWhichGroupLostUnreadRecords) {
  metrics::Registry registry;
  auto spool = OpenSpool({.partitions = 1, .segment_bytes = 1024, .retention = 0ms}, registry);
  auto reader = spool->Subscribe("archiver", "app-logs");
  ASSERT_TRUE(reader.has_value());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ProduceSync(*spool, 4, std::string(200, 'y')));
  ASSERT_TRUE((*reader)->Commit(std::vector<OffsetCommit>{{0, 10, ""}}).has_value());
  spool->ReclaimSpace();
  const auto text = registry.RenderText();
  const auto line = text.find("spool_unconsumed_records_deleted_total{group=\"archiver\"} ");
  ASSERT_NE(line, std::string::npos) << text;
  EXPECT_GT(std::stoll(text.substr(line + 57)), 0);
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
