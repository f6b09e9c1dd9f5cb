#include "processor/processor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "core/testing/temp_directory.h"
#include "queue/spool/spool.h"
#include "search/logstore/log_store.h"
#include "search/sqlite/sqlite_search_store.h"

namespace lp::processor {
namespace {

using namespace std::chrono_literals;

// Fails the first writes with `error` (by default retryable, as a store that is down would).
class FlakyStore : public search::SearchStore {
 public:
  explicit FlakyStore(search::SearchStore& real, int failures,
                      Error error = {ErrorClass::kRetryable, "connection refused"})
      : real_(real), failures_(failures), error_(std::move(error)) {}
  Result<std::vector<search::DocumentOutcome>> Write(
      std::span<const search::SearchDocument> documents) override {
    if (failures_.fetch_sub(1) > 0) return tl::unexpected(error_);
    return real_.Write(documents);
  }
  Result<search::SearchPage> Search(const search::SearchQuery& query) override {
    return real_.Search(query);
  }
  Result<search::SearchHit> Get(std::string_view id) override { return real_.Get(id); }
  Result<std::vector<search::HistogramBucket>> Histogram(
      const search::SearchQuery& query, const search::HistogramRequest& request) override {
    return real_.Histogram(query, request);
  }
  Result<search::Facets> Facet(const search::SearchQuery& query, std::string_view field,
                               size_t size) override {
    return real_.Facet(query, field, size);
  }
  Result<uint64_t> DeleteArrivedBefore(int64_t before_ms) override {
    return real_.DeleteArrivedBefore(before_ms);
  }
  void Recover() { failures_.store(0); }

 private:
  search::SearchStore& real_;
  std::atomic<int> failures_;
  const Error error_;
};

class ProcessorTest : public testing::Test {
 protected:
  void SetUp() override {
    auto spool = queue::spool::Spool::Open({.directory = folder_.path() / "spool"}, registry_);
    ASSERT_TRUE(spool.has_value());
    spool_ = std::move(*spool);
    auto store = search::sqlite::SqliteSearchStore::Open(folder_.path() / "search.db");
    ASSERT_TRUE(store.has_value());
    store_ = std::move(*store);
  }

  void Produce(const std::vector<std::string>& values,
               std::span<const queue::Header> headers = {}) {
    std::vector<queue::OutgoingRecord> records;
    for (const auto& value : values) records.push_back({"svc", value, 1761827696789, headers});
    std::promise<Result<void>> done;
    spool_->Produce("app-logs", records, [&](Result<void> result) { done.set_value(result); });
    ASSERT_TRUE(done.get_future().get().has_value());
  }

  // Waits until the store holds `count` documents, or a generous deadline passes.
  uint64_t WaitForDocuments(uint64_t count) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    uint64_t total = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      total = store_->Search({})->total;
      if (total >= count) break;
      std::this_thread::sleep_for(20ms);
    }
    return total;
  }

  test_support::TempDirectory folder_{"processor"};
  metrics::Registry registry_;
  std::unique_ptr<queue::spool::Spool> spool_;
  std::unique_ptr<search::SearchStore> store_;
  ProcessorMetrics metrics_{registry_};
  queue::ConsumerLagMetrics lag_metrics_{registry_};
};

TEST_F(ProcessorTest, IndexesValidEventsAndSendsPoisonRecordsToTheDlq) {
  Produce({R"({"service":"svc","level":"info","message":"first"})",
           R"({"service":"svc","level":"LOUD","message":"poison"})", "not json at all",
           R"({"service":"svc","level":"ERROR","message":"second"})"});
  Processor processor({.poll_timeout = 50ms}, *spool_, *store_, metrics_, lag_metrics_);
  ASSERT_TRUE(processor.Start().has_value());
  EXPECT_EQ(WaitForDocuments(2), 2u);

  auto dlq = spool_->Subscribe("check", "dlq");
  ASSERT_TRUE(dlq.has_value());
  std::vector<queue::ConsumedRecord> letters;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (letters.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*dlq)->Poll(10, 200ms);
    ASSERT_TRUE(batch.has_value());
    for (auto& record : *batch) letters.push_back(std::move(record));
  }
  processor.Stop();
  ASSERT_EQ(letters.size(), 2u);
  std::map<std::string, std::string> headers;
  for (const auto& header : letters[0].headers) headers[header.name] = header.value;
  EXPECT_EQ(headers["stage"], "validate");
  EXPECT_EQ(headers["source_topic"], "app-logs");
  EXPECT_EQ(headers["source_offset"], "1");
  EXPECT_EQ(headers[std::string(queue::kOriginalIdHeader)],
            "app-logs-" + headers["source_partition"] + "-1");
  EXPECT_NE(headers["error"].find("unknown value \"LOUD\""), std::string::npos);
  EXPECT_EQ(letters[1].value, "not json at all");
  EXPECT_EQ(metrics_.dlq_events.Value(), 2u);

  // Offsets were committed: a new member of the group finds nothing left to do.
  auto consumer = spool_->Subscribe("processor", "app-logs");
  ASSERT_TRUE(consumer.has_value());
  auto rest = (*consumer)->Poll(10, 100ms);
  ASSERT_TRUE(rest.has_value());
  EXPECT_TRUE(rest->empty());
}

TEST_F(ProcessorTest, IndexesACopyUnderItsOriginalId) {
  const std::vector<queue::Header> copy = {
      {std::string(queue::kOriginalIdHeader), "app-logs-2-41"}};
  Produce({R"({"service":"svc","level":"info","message":"replayed"})"}, copy);
  Processor processor({.poll_timeout = 50ms}, *spool_, *store_, metrics_, lag_metrics_);
  ASSERT_TRUE(processor.Start().has_value());
  EXPECT_EQ(WaitForDocuments(1), 1u);
  processor.Stop();
  const auto hit = store_->Get("app-logs-2-41");
  ASSERT_TRUE(hit.has_value()) << hit.error().message;
}

TEST_F(ProcessorTest, RetriesAnOutageWithoutLosingOrDeadLetteringEvents) {
  FlakyStore flaky(*store_, 8);
  Produce({R"({"service":"svc","level":"info","message":"survives"})"});
  Processor processor({.poll_timeout = 50ms, .retry = {.initial_backoff = 1ms, .max_backoff = 5ms}},
                      *spool_, flaky, metrics_, lag_metrics_);
  ASSERT_TRUE(processor.Start().has_value());
  EXPECT_EQ(WaitForDocuments(1), 1u);
  processor.Stop();
  EXPECT_EQ(metrics_.es_write_errors.Value(), 8u);
  EXPECT_EQ(metrics_.dlq_events.Value(), 0u);
}

TEST_F(ProcessorTest, ReportsNotReadyWhilePausedForAnOutage) {
  FlakyStore down(*store_, 1'000'000);
  Readiness readiness;
  Produce({R"({"service":"svc","level":"info","message":"waits"})"});
  Processor processor({.poll_timeout = 50ms,
                       .retry = {.initial_backoff = 1ms, .max_backoff = 5ms},
                       .readiness = &readiness.Add("processor")},
                      *spool_, down, metrics_, lag_metrics_);
  ASSERT_TRUE(processor.Start().has_value());
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::vector<std::string> problems;
  while (problems.empty() && std::chrono::steady_clock::now() < deadline) {
    problems = readiness.Problems();
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("processor: search store writes fail: connection refused"),
            std::string::npos)
      << problems[0];
  down.Recover();
  EXPECT_EQ(WaitForDocuments(1), 1u);
  while (!readiness.Problems().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(readiness.Problems().empty());
  processor.Stop();
  EXPECT_EQ(metrics_.dlq_events.Value(), 0u);
}

TEST_F(ProcessorTest, ADamagedStoreStopsConsumptionAndNeverDeadLetters) {
  FlakyStore damaged(*store_, 30, {ErrorClass::kStorageFault, "database disk image is malformed"});
  Readiness readiness;
  Produce({R"({"service":"svc","level":"info","message":"kept"})",
           R"({"service":"svc","level":"info","message":"kept too"})"});
  Processor processor({.poll_timeout = 50ms,
                       .retry = {.initial_backoff = 1ms, .max_backoff = 5ms},
                       .readiness = &readiness.Add("processor")},
                      *spool_, damaged, metrics_, lag_metrics_);
  ASSERT_TRUE(processor.Start().has_value());
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool reported = false;
  while (!reported && std::chrono::steady_clock::now() < deadline) {
    const auto problems = readiness.Problems();
    reported = !problems.empty() &&
               problems[0].find("search store damaged: database disk image is malformed") !=
                   std::string::npos;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(reported);
  EXPECT_EQ(metrics_.dlq_events.Value(), 0u);
  // Once the store is repaired, the events that waited in the queue are indexed.
  EXPECT_EQ(WaitForDocuments(2), 2u);
  processor.Stop();
  EXPECT_EQ(metrics_.store_faults.Value(), 30u);
  EXPECT_EQ(metrics_.dlq_events.Value(), 0u);
  EXPECT_TRUE(readiness.Problems().empty());
}

TEST_F(ProcessorTest, ReprocessingTheSameRecordsDoesNotDuplicateDocuments) {
  Produce({R"({"service":"svc","level":"info","message":"once"})"});
  {
    Processor processor({.group = "first", .poll_timeout = 50ms}, *spool_, *store_, metrics_,
                        lag_metrics_);
    ASSERT_TRUE(processor.Start().has_value());
    ASSERT_EQ(WaitForDocuments(1), 1u);
  }
  Processor again({.group = "second", .poll_timeout = 50ms}, *spool_, *store_, metrics_,
                  lag_metrics_);
  ASSERT_TRUE(again.Start().has_value());
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (metrics_.es_write_success.Value() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  again.Stop();
  EXPECT_EQ(metrics_.es_write_success.Value(), 2u);
  EXPECT_EQ(store_->Search({})->total, 1u);
}

TEST_F(ProcessorTest, CommitsOnlyWhatTheStoreReportsDurable) {
  auto opened = search::logstore::LogStore::Open(
      {.directory = folder_.path() / "logstore", .background = false}, registry_);
  ASSERT_TRUE(opened.has_value());
  auto& logstore = **opened;
  store_ = std::move(*opened);
  Produce({R"({"service":"svc","level":"info","message":"one"})",
           R"({"service":"svc","level":"info","message":"two"})"});
  const auto lag = [&] {
    double total = 0;
    for (int32_t partition = 0; partition < queue::spool::SpoolOptions{}.partitions; ++partition) {
      total += lag_metrics_.For("processor", partition).Value();
    }
    return total;
  };
  {
    Processor processor({.poll_timeout = 20ms}, *spool_, *store_, metrics_, lag_metrics_);
    ASSERT_TRUE(processor.Start().has_value());
    ASSERT_EQ(WaitForDocuments(2), 2u);  // Searchable from the buffer...
    // ...but not durable: polls go on and the group's lag stays.
    const auto polls = metrics_.ingested_events.Value();
    ASSERT_EQ(polls, 2u);
    EXPECT_EQ(lag(), 2);
    // Once a part holds them, the next poll commits.
    ASSERT_TRUE(logstore.Flush().has_value());
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (lag() != 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(lag(), 0);
  }
  auto consumer = spool_->Subscribe("processor", "app-logs");
  ASSERT_TRUE(consumer.has_value());
  auto rest = (*consumer)->Poll(10, 100ms);
  ASSERT_TRUE(rest.has_value());
  EXPECT_TRUE(rest->empty());
}

TEST_F(ProcessorTest, RewindsToWhereTheStoreIsDurable) {
  Produce({R"({"service":"svc","level":"info","message":"one"})",
           R"({"service":"svc","level":"info","message":"two"})"});
  {
    // Indexed into SQLite and committed: the group is at the end.
    Processor processor({.poll_timeout = 20ms}, *spool_, *store_, metrics_, lag_metrics_);
    ASSERT_TRUE(processor.Start().has_value());
    ASSERT_EQ(WaitForDocuments(2), 2u);
  }
  // A new log store (as after the move from SQLite, or a part set aside) has nothing durable:
  // the processor reads the spool again from its start.
  auto opened = search::logstore::LogStore::Open(
      {.directory = folder_.path() / "logstore", .background = false}, registry_);
  ASSERT_TRUE(opened.has_value());
  store_ = std::move(*opened);
  Processor processor({.poll_timeout = 20ms}, *spool_, *store_, metrics_, lag_metrics_);
  ASSERT_TRUE(processor.Start().has_value());
  EXPECT_EQ(WaitForDocuments(2), 2u);
}

TEST_F(ProcessorTest, AnEventsOwnIdIsItsDocumentIdSoSendingItAgainOverwrites) {
  Produce({R"({"_id":"order-7","service":"svc","level":"info","message":"first"})",
           R"({"_id":"order-7","service":"svc","level":"info","message":"retried"})"});
  Processor processor({.poll_timeout = 50ms}, *spool_, *store_, metrics_, lag_metrics_);
  ASSERT_TRUE(processor.Start().has_value());
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (metrics_.es_write_success.Value() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  processor.Stop();
  EXPECT_EQ(store_->Search({})->total, 1u);
  const auto hit = store_->Get("order-7");
  ASSERT_TRUE(hit.has_value());
  EXPECT_NE(hit->json.find(R"("message":"retried")"), std::string::npos) << hit->json;
  EXPECT_EQ(hit->json.find("order-7"), std::string::npos) << hit->json;
}

}  // namespace
}  // namespace lp::processor
