#include "processor/dead_letters.h"

#include <gtest/gtest.h>

#include <future>
#include <set>

#include "core/testing/temp_directory.h"
#include "queue/spool/spool.h"

namespace lp::processor {
namespace {

using namespace std::chrono_literals;

class DeadLettersTest : public testing::Test {
 protected:
  void SetUp() override {
    auto spool = queue::spool::Spool::Open({.directory = folder_.path() / "spool"}, registry_);
    ASSERT_TRUE(spool.has_value());
    spool_ = std::move(*spool);
  }

  // A dead letter as the processor writes it, for the event at app-logs/2/`source_offset`.
  void DeadLetter(int64_t source_offset, int64_t timestamp_ms) {
    const std::string value =
        R"({"service":"svc","message":"event )" + std::to_string(source_offset) + "\"}";
    const std::vector<queue::Header> headers = {
        {"error", "HTTP 400 mapper_parsing_exception"},
        {"stage", "index"},
        {"source_topic", "app-logs"},
        {"source_partition", "2"},
        {"source_offset", std::to_string(source_offset)},
        {std::string(queue::kOriginalIdHeader), "app-logs-2-" + std::to_string(source_offset)}};
    const queue::OutgoingRecord record{"svc", value, timestamp_ms, headers};
    std::promise<Result<void>> done;
    spool_->Produce("dlq", std::span(&record, 1),
                    [&](Result<void> result) { done.set_value(result); });
    ASSERT_TRUE(done.get_future().get().has_value());
  }

  std::vector<queue::ConsumedRecord> ReadInput(size_t count) {
    auto consumer = spool_->Subscribe("check", "app-logs");
    EXPECT_TRUE(consumer.has_value());
    std::vector<queue::ConsumedRecord> records;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (records.size() < count && std::chrono::steady_clock::now() < deadline) {
      auto polled = (*consumer)->Poll(100, 100ms);
      EXPECT_TRUE(polled.has_value());
      if (polled) records.insert(records.end(), polled->begin(), polled->end());
    }
    // Nothing more than expected arrives.
    auto more = (*consumer)->Poll(100, 100ms);
    EXPECT_TRUE(more.has_value() && more->empty());
    return records;
  }

  test_support::TempDirectory folder_{"dead-letters"};
  metrics::Registry registry_;
  std::unique_ptr<queue::spool::Spool> spool_;
};

TEST_F(DeadLettersTest, ShowsTheNewestRecordsWithTheirErrorAndSource) {
  for (int64_t i = 0; i < 30; ++i) DeadLetter(100 + i, 1761827696000 + i);
  DeadLetters letters({}, *spool_);
  const auto view = letters.Newest(5);
  ASSERT_TRUE(view.has_value()) << view.error().message;
  EXPECT_EQ(view->pending, 30);
  ASSERT_EQ(view->newest.size(), 5u);
  EXPECT_EQ(view->newest[0].source_offset, "129");
  EXPECT_EQ(view->newest[4].source_offset, "125");
  EXPECT_EQ(view->newest[0].error, "HTTP 400 mapper_parsing_exception");
  EXPECT_EQ(view->newest[0].stage, "index");
  EXPECT_EQ(view->newest[0].source_topic, "app-logs");
  EXPECT_EQ(view->newest[0].source_partition, "2");
  EXPECT_EQ(view->newest[0].value, R"({"service":"svc","message":"event 129"})");
  EXPECT_EQ(view->newest[0].timestamp_ms, 1761827696029);
  // Reading changes nothing: the same view again.
  const auto again = letters.Newest(5);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->pending, 30);
  EXPECT_EQ(again->newest[0].source_offset, "129");
}

TEST_F(DeadLettersTest, RedrivesEachRecordOnceUnderItsOriginalId) {
  for (int64_t i = 0; i < 3; ++i) DeadLetter(40 + i, 1761827696000 + i);
  DeadLetters letters({}, *spool_);
  ASSERT_TRUE(letters.Newest(10).has_value());  // Browsing first leaves the re-drive intact.
  const auto first = letters.Redrive(2);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->redriven, 2);
  EXPECT_EQ(first->pending, 1);
  const auto second = letters.Redrive(100);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->redriven, 1);
  EXPECT_EQ(second->pending, 0);
  const auto third = letters.Redrive(100);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->redriven, 0);
  const auto view = letters.Newest(10);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->pending, 0);
  EXPECT_TRUE(view->newest.empty());

  const auto records = ReadInput(3);
  ASSERT_EQ(records.size(), 3u);
  std::set<std::string> ids;
  for (const auto& record : records) {
    EXPECT_EQ(record.key, "svc");
    ASSERT_EQ(record.headers.size(), 1u);  // The dead letter's own headers stay behind.
    EXPECT_EQ(record.headers[0].name, queue::kOriginalIdHeader);
    ids.insert(record.headers[0].value);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"app-logs-2-40", "app-logs-2-41", "app-logs-2-42"}));
}

}  // namespace
}  // namespace lp::processor
