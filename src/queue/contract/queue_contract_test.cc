// One contract for every implementation of the queue seam. Each implementation registers a
// factory below. The Kafka run is always registered (CTest lists tests when they are built) and
// skips itself only when no broker is configured (KAFKA_BROKERS); scripts/test starts one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <set>

#include "core/murmur2.h"
#include "queue/kafka/kafka_queue.h"
#include "queue/queue.h"
#include "queue/spool/spool.h"

namespace lp::queue {
namespace {

using namespace std::chrono_literals;

struct QueueUnderTest {
  std::unique_ptr<Queue> queue;
  int32_t partitions = 0;
  std::function<void()> cleanup;
};

struct QueueFactory {
  std::string name;
  /// Empty when the implementation cannot run here, with the reason in `skip_reason`.
  std::function<QueueUnderTest(const std::string& topic)> make;
  std::function<std::string()> skip_reason = [] { return std::string(); };
};

// Names the implementation in test output instead of dumping the factory's bytes.
void PrintTo(const QueueFactory& factory, std::ostream* out) { *out << factory.name; }

constexpr int32_t kKafkaPartitions = 4;

std::vector<QueueFactory> Factories() {
  std::vector<QueueFactory> factories;
  factories.push_back(QueueFactory{
      "spool", [](const std::string& topic) {
        auto directory = std::filesystem::path(testing::TempDir()) / ("queue_contract_" + topic);
        std::filesystem::remove_all(directory);
        // Each spool registers its metrics, so each gets a registry of its own.
        auto registry = std::make_shared<metrics::Registry>();
        auto spool = spool::Spool::Open(
            {.directory = directory, .partitions = 4, .segment_bytes = 4096}, *registry);
        EXPECT_TRUE(spool.has_value()) << spool.error().message;
        return QueueUnderTest{std::move(*spool), 4,
                              [directory, registry] { std::filesystem::remove_all(directory); }};
      }});
  factories.push_back(QueueFactory{
      "kafka",
      [](const std::string& topic) {
        auto queue = kafka::KafkaQueue::Open({.brokers = std::getenv("KAFKA_BROKERS")});
        EXPECT_TRUE(queue.has_value()) << queue.error().message;
        if (!queue) return QueueUnderTest{};
        const auto created = (*queue)->EnsureTopics({topic}, kKafkaPartitions);
        EXPECT_TRUE(created.has_value()) << created.error().message;
        return QueueUnderTest{std::move(*queue), kKafkaPartitions, {}};
      },
      [] {
        return std::getenv("KAFKA_BROKERS") == nullptr
                   ? std::string("KAFKA_BROKERS is not set (scripts/backends/kafka start)")
                   : std::string();
      }});
  return factories;
}

class QueueContractTest : public testing::TestWithParam<QueueFactory> {
 protected:
  void SetUp() override {
    if (const auto reason = GetParam().skip_reason(); !reason.empty()) GTEST_SKIP() << reason;
    // A topic of its own per test, as a broker outlives the test process.
    topic_ = "contract-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + "-" +
             std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    under_test_ = GetParam().make(topic_);
    ASSERT_TRUE(under_test_.queue != nullptr);
  }
  void TearDown() override {
    under_test_.queue.reset();
    if (under_test_.cleanup) under_test_.cleanup();
  }

  void ProduceOrFail(const std::vector<std::pair<std::string, std::string>>& records) {
    std::vector<OutgoingRecord> outgoing;
    for (const auto& [key, value] : records) {
      outgoing.push_back(OutgoingRecord{key, value, 1'700'000'000'000, {}});
    }
    std::promise<Result<void>> done;
    under_test_.queue->Produce(topic_, outgoing,
                               [&done](Result<void> result) { done.set_value(std::move(result)); });
    auto future = done.get_future();
    ASSERT_EQ(future.wait_for(120s), std::future_status::ready);
    const auto result = future.get();
    ASSERT_TRUE(result.has_value()) << result.error().message;
  }

  std::unique_ptr<Consumer> SubscribeOrFail(const std::string& group) {
    auto consumer = under_test_.queue->Subscribe(group, topic_);
    EXPECT_TRUE(consumer.has_value()) << consumer.error().message;
    return consumer ? std::move(*consumer) : nullptr;
  }

  // Polls until `count` records arrived or the deadline passed. A retryable error (a group
  // coordinator still loading, a topic's metadata not yet everywhere: a busy broker says so) is
  // polled through, as every consumer of the seam does; the deadline is a ceiling for a loaded
  // machine, not an expectation.
  static std::vector<ConsumedRecord> PollUntil(Consumer& consumer, size_t count,
                                               std::chrono::seconds deadline = 120s) {
    std::vector<ConsumedRecord> out;
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (out.size() < count && std::chrono::steady_clock::now() < end) {
      auto batch = consumer.Poll(count - out.size(), 500ms);
      if (!batch) {
        if (batch.error().retryable()) continue;
        ADD_FAILURE() << batch.error().message;
        break;
      }
      for (auto& record : *batch) out.push_back(std::move(record));
    }
    return out;
  }

  static std::vector<std::pair<std::string, std::string>> Numbered(int count, int keys) {
    std::vector<std::pair<std::string, std::string>> records;
    for (int i = 0; i < count; ++i) {
      records.emplace_back("service-" + std::to_string(i % keys), "event-" + std::to_string(i));
    }
    return records;
  }

  inline static int counter_ = 0;
  std::string topic_;
  QueueUnderTest under_test_;
};

TEST_P(QueueContractTest, RoutesKeysByMurmur2AndKeepsOrderPerPartition) {
  ProduceOrFail(Numbered(200, 10));
  auto consumer = SubscribeOrFail("ordering");
  const auto records = PollUntil(*consumer, 200);
  ASSERT_EQ(records.size(), 200u);
  std::map<int32_t, int64_t> last_offset;
  std::map<std::string, int> last_index;
  for (const auto& record : records) {
    EXPECT_EQ(record.partition, PartitionForKey(record.key, under_test_.partitions));
    EXPECT_GT(record.offset,
              last_offset.contains(record.partition) ? last_offset[record.partition] : -1);
    last_offset[record.partition] = record.offset;
    const int index = std::stoi(record.value.substr(6));
    EXPECT_GT(index, last_index.contains(record.key) ? last_index[record.key] : -1);
    last_index[record.key] = index;
    EXPECT_EQ(record.timestamp_ms, 1'700'000'000'000);
  }
}

TEST_P(QueueContractTest, ResumesFromTheCommittedOffsetWithItsMetadata) {
  ProduceOrFail(Numbered(40, 1));
  const int32_t partition = PartitionForKey("service-0", under_test_.partitions);
  {
    auto consumer = SubscribeOrFail("resume");
    const auto first = PollUntil(*consumer, 15);
    ASSERT_EQ(first.size(), 15u);
    const OffsetCommit commit{partition, first.back().offset + 1, "batch=7;end=15"};
    ASSERT_TRUE(consumer->Commit(std::span(&commit, 1)).has_value());
  }
  auto consumer = SubscribeOrFail("resume");
  const auto committed = consumer->Committed(partition);
  ASSERT_TRUE(committed.has_value() && committed->has_value());
  EXPECT_EQ((*committed)->metadata, "batch=7;end=15");
  const auto rest = PollUntil(*consumer, 25);
  ASSERT_EQ(rest.size(), 25u);
  EXPECT_EQ(rest.front().value, "event-15");
  EXPECT_EQ(rest.back().value, "event-39");
}

// The archiver records a batch's end as metadata on the partition's unchanged offset.
TEST_P(QueueContractTest, CommitsNewMetadataOnAnUnchangedOffset) {
  ProduceOrFail(Numbered(10, 1));
  const int32_t partition = PartitionForKey("service-0", under_test_.partitions);
  auto consumer = SubscribeOrFail("metadata");
  ASSERT_EQ(PollUntil(*consumer, 10).size(), 10u);
  for (const std::string metadata : {"archive-batch-end=7", "archive-batch-end=9", ""}) {
    const OffsetCommit commit{partition, 3, metadata};
    ASSERT_TRUE(consumer->Commit(std::span(&commit, 1)).has_value());
    const auto committed = consumer->Committed(partition);
    ASSERT_TRUE(committed.has_value() && committed->has_value());
    EXPECT_EQ((*committed)->next_offset, 3);
    EXPECT_EQ((*committed)->metadata, metadata);
  }
  const auto untouched = consumer->Committed((partition + 1) % under_test_.partitions);
  ASSERT_TRUE(untouched.has_value());
  EXPECT_FALSE(untouched->has_value());
}

TEST_P(QueueContractTest, CarriesHeaders) {
  const std::vector<Header> headers{{"error", "bad \"level\""}, {"stage", "validate"}};
  const OutgoingRecord record{"service-0", "poison", 1'700'000'000'000, headers};
  std::promise<Result<void>> done;
  under_test_.queue->Produce(topic_, std::span(&record, 1),
                             [&done](Result<void> result) { done.set_value(std::move(result)); });
  ASSERT_TRUE(done.get_future().get().has_value());
  auto consumer = SubscribeOrFail("headers");
  const auto records = PollUntil(*consumer, 1);
  ASSERT_EQ(records.size(), 1u);
  ASSERT_EQ(records[0].headers.size(), 2u);
  EXPECT_EQ(records[0].headers[0].name, "error");
  EXPECT_EQ(records[0].headers[0].value, "bad \"level\"");
  EXPECT_EQ(records[0].headers[1].value, "validate");
}

TEST_P(QueueContractTest, GroupsReadIndependently) {
  ProduceOrFail(Numbered(30, 3));
  auto first = SubscribeOrFail("group-a");
  auto second = SubscribeOrFail("group-b");
  EXPECT_EQ(PollUntil(*first, 30).size(), 30u);
  EXPECT_EQ(PollUntil(*second, 30).size(), 30u);
}

TEST_P(QueueContractTest, LagCountsWhatTheGroupHasNotCommitted) {
  ProduceOrFail(Numbered(30, 1));
  const int32_t partition = PartitionForKey("service-0", under_test_.partitions);
  auto consumer = SubscribeOrFail("lag");
  const auto lag_of = [&](int32_t wanted) -> PartitionLag {
    const auto lags = consumer->Lag();
    EXPECT_TRUE(lags.has_value());
    if (!lags) return {-1, -1};
    EXPECT_EQ(lags->size(), consumer->Assignment().size());
    for (const auto& lag : *lags)
      if (lag.partition == wanted) return lag;
    return {-1, -1};
  };
  const auto records = PollUntil(*consumer, 30);
  ASSERT_EQ(records.size(), 30u);
  const auto unread = lag_of(partition);
  EXPECT_EQ(unread.messages, 30);  // Read but not committed.
  EXPECT_EQ(unread.position, records.front().offset);
  EXPECT_EQ(unread.end, records.back().offset + 1);
  const OffsetCommit commit{partition, records[9].offset + 1, ""};
  ASSERT_TRUE(consumer->Commit(std::span(&commit, 1)).has_value());
  const auto committed = lag_of(partition);
  EXPECT_EQ(committed.messages, 20);
  EXPECT_EQ(committed.position, records[10].offset);
  EXPECT_EQ(committed.end, records.back().offset + 1);
  EXPECT_EQ(lag_of((partition + 1) % under_test_.partitions).messages, 0);
}

TEST_P(QueueContractTest, SeekRewindsAPartition) {
  ProduceOrFail(Numbered(10, 1));
  const int32_t partition = PartitionForKey("service-0", under_test_.partitions);
  auto consumer = SubscribeOrFail("seek");
  const auto records = PollUntil(*consumer, 10);
  ASSERT_EQ(records.size(), 10u);
  // A busy broker may rebalance even a lone member (the topic's partitions show up late); the
  // partition is then not assigned for a moment and cannot be sought: poll until it is again.
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  auto sought = consumer->Seek(partition, records[4].offset);
  while (!sought && std::chrono::steady_clock::now() < deadline) {
    (void)consumer->Poll(100, 100ms);
    sought = consumer->Seek(partition, records[4].offset);
  }
  ASSERT_TRUE(sought.has_value()) << sought.error().message;
  const auto again = PollUntil(*consumer, 6);
  ASSERT_EQ(again.size(), 6u);
  EXPECT_EQ(again.front().value, "event-4");
}

TEST_P(QueueContractTest, MembersSplitPartitionsAndTakeOverWhenOneLeaves) {
  auto first = SubscribeOrFail("shared");
  auto second = SubscribeOrFail("shared");
  // Joining a group takes a rebalance; the split is what this test is about, so it starts from it.
  const auto joined_by = std::chrono::steady_clock::now() + 120s;
  while ((first->Assignment().empty() || second->Assignment().empty()) &&
         std::chrono::steady_clock::now() < joined_by) {
    for (auto* consumer : {first.get(), second.get()}) {
      auto nothing = consumer->Poll(1, 100ms);
      if (!nothing) {
        ASSERT_TRUE(nothing.error().retryable()) << nothing.error().message;
        continue;
      }
      ASSERT_TRUE(nothing->empty());
    }
  }
  ASSERT_FALSE(first->Assignment().empty());
  ASSERT_FALSE(second->Assignment().empty());
  ProduceOrFail(Numbered(400, 40));
  std::set<std::string> seen;
  std::set<int32_t> first_partitions, second_partitions;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (seen.size() < 400 && std::chrono::steady_clock::now() < deadline) {
    for (auto* consumer : {first.get(), second.get()}) {
      auto batch = consumer->Poll(100, 200ms);
      if (!batch) {
        ASSERT_TRUE(batch.error().retryable()) << batch.error().message;
        continue;
      }
      for (const auto& record : *batch) {
        seen.insert(record.value);
        (consumer == first.get() ? first_partitions : second_partitions).insert(record.partition);
        const OffsetCommit commit{record.partition, record.offset + 1, ""};
        // A commit racing a rebalance on a busy broker fails retryably; the record is read again.
        const auto committed = consumer->Commit(std::span(&commit, 1));
        if (!committed) {
          ASSERT_TRUE(committed.error().retryable()) << committed.error().message;
        }
      }
    }
  }
  EXPECT_EQ(seen.size(), 400u);
  EXPECT_FALSE(first_partitions.empty());
  EXPECT_FALSE(second_partitions.empty());
  for (const int32_t partition : first_partitions)
    EXPECT_FALSE(second_partitions.contains(partition));

  second.reset();
  ProduceOrFail(Numbered(400, 40));
  const auto taken_over = PollUntil(*first, 400);
  EXPECT_EQ(taken_over.size(), 400u);
  std::set<int32_t> partitions;
  for (const auto& record : taken_over) partitions.insert(record.partition);
  EXPECT_EQ(partitions.size(), first_partitions.size() + second_partitions.size());
}

INSTANTIATE_TEST_SUITE_P(Implementations, QueueContractTest, testing::ValuesIn(Factories()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lp::queue
