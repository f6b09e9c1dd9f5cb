#include "archiver/archiver.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <future>

#include "core/decompress.h"
#include "core/testing/temp_directory.h"
#include "objectstore/local/local_object_store.h"
#include "queue/spool/spool.h"

namespace lp::archiver {
namespace {

using namespace std::chrono_literals;

// Fails the first `failures` puts as a store outage would.
class FlakyObjectStore final : public objectstore::ObjectStore {
 public:
  FlakyObjectStore(objectstore::ObjectStore& inner, int failures)
      : inner_(inner), failures_(failures) {}
  Result<void> EnsureBucket(std::string_view bucket) override {
    return inner_.EnsureBucket(bucket);
  }
  Result<void> Put(std::string_view bucket, std::string_view key, std::string_view body,
                   const objectstore::Metadata& metadata) override {
    if (failures_.fetch_sub(1) > 0) return Retryable("store unavailable");
    ++puts;
    return inner_.Put(bucket, key, body, metadata);
  }
  Result<objectstore::StoredObject> Get(std::string_view bucket, std::string_view key) override {
    return inner_.Get(bucket, key);
  }
  Result<std::vector<std::string>> List(std::string_view bucket, std::string_view prefix) override {
    return inner_.List(bucket, prefix);
  }
  Result<std::vector<std::string>> ListFolders(std::string_view bucket,
                                               std::string_view prefix) override {
    return inner_.ListFolders(bucket, prefix);
  }

  std::atomic<int> puts{0};
  void Recover() { failures_.store(0); }

 private:
  objectstore::ObjectStore& inner_;
  std::atomic<int> failures_;
};

class ArchiverTest : public testing::Test {
 protected:
  void SetUp() override {
    auto spool = queue::spool::Spool::Open({.directory = folder_.path() / "spool", .partitions = 1},
                                           registry_);
    ASSERT_TRUE(spool.has_value()) << spool.error().message;
    spool_ = std::move(*spool);
  }

  std::vector<std::string> Produce(int count, int first = 0,
                                   const std::string& date = "2025-10-30") {
    std::vector<std::string> values;
    for (int n = first; n < first + count; ++n) {
      values.push_back(R"({"timestamp":")" + date +
                       R"(T12:00:00.000Z","service":"svc","level":"INFO","message":"event )" +
                       std::to_string(n) + "\"}");
    }
    std::vector<queue::OutgoingRecord> records;
    for (const auto& value : values) records.push_back({"svc", value, 1'700'000'000'000, {}});
    std::promise<Result<void>> done;
    spool_->Produce("app-logs", records, [&](Result<void> result) { done.set_value(result); });
    EXPECT_TRUE(done.get_future().get().has_value());
    return values;
  }

  // Every archived line, in key order, decompressed.
  std::vector<std::string> ArchivedLines() {
    std::vector<std::string> lines;
    const auto keys = objects_.List("logs-archive", "");
    if (!keys) return lines;
    for (const auto& key : *keys) {
      const auto object = objects_.Get("logs-archive", key);
      std::string ndjson;
      if (!Decompress(ContentEncoding::kGzip, object->body, 1 << 30, 0, ndjson)) {
        lines.push_back("undecodable object " + key);
        continue;
      }
      size_t start = 0;
      while (start < ndjson.size()) {
        const size_t end = ndjson.find('\n', start);
        lines.push_back(ndjson.substr(start, end - start));
        start = end + 1;
      }
    }
    return lines;
  }

  bool WaitForLines(size_t count) {
    for (int i = 0; i < 1000 && ArchivedLines().size() < count; ++i)
      std::this_thread::sleep_for(10ms);
    return ArchivedLines().size() == count;
  }

  std::optional<queue::CommittedOffset> Committed() {
    auto archiver = spool_->Subscribe("archiver", "app-logs");
    auto result = (*archiver)->Committed(0);
    return result ? *result : std::nullopt;
  }

  test_support::TempDirectory folder_{"archiver"};
  metrics::Registry registry_;
  std::unique_ptr<queue::spool::Spool> spool_;
  objectstore::local::LocalObjectStore objects_{folder_.path() / "archive"};
  ArchiverMetrics metrics_{registry_};
  queue::ConsumerLagMetrics lag_metrics_{registry_};
};

TEST_F(ArchiverTest, BatchesBySizeAndTimeoutAndCommitsAfterUpload) {
  const auto values = Produce(250);
  Archiver archiver({.batch_size = 100, .batch_timeout = 200ms, .poll_timeout = 20ms}, *spool_,
                    objects_, metrics_, lag_metrics_);
  ASSERT_TRUE(archiver.Start().has_value());
  ASSERT_TRUE(WaitForLines(250));
  archiver.Stop();
  EXPECT_EQ(ArchivedLines(), values);
  const auto keys = objects_.List("logs-archive", "");
  EXPECT_EQ(*keys,
            (std::vector<std::string>{"2025/10/30/app-logs-0-00000000000000000000.ndjson.gz",
                                      "2025/10/30/app-logs-0-00000000000000000100.ndjson.gz",
                                      "2025/10/30/app-logs-0-00000000000000000200.ndjson.gz"}));
  const auto object = objects_.Get("logs-archive", keys->back());
  EXPECT_EQ(object->metadata.at("count"), "50");
  EXPECT_EQ(object->metadata.at("last-offset"), "249");
  const auto committed = Committed();
  ASSERT_TRUE(committed.has_value());
  EXPECT_EQ(committed->next_offset, 250);
  EXPECT_EQ(committed->metadata, "");
  EXPECT_EQ(metrics_.messages_archived.Value(), 250u);
  EXPECT_EQ(metrics_.batches_uploaded.Value(), 3u);
}

TEST_F(ArchiverTest, ABatchMarkedBeforeACrashIsRebuiltExactlyAndOverwritesItsObjects) {
  const auto values = Produce(150);
  {
    // What a crash between upload and commit leaves: the mark on the unchanged offset, and an
    // object (here a stale, wrong one) under the batch's key.
    auto consumer = spool_->Subscribe("archiver", "app-logs");
    const queue::OffsetCommit mark{0, 0, "archive-batch-end=37"};
    ASSERT_TRUE((*consumer)->Commit(std::span(&mark, 1)).has_value());
    ASSERT_TRUE(objects_.EnsureBucket("logs-archive").has_value());
    ASSERT_TRUE(objects_
                    .Put("logs-archive", "2025/10/30/app-logs-0-00000000000000000000.ndjson.gz",
                         "stale", {})
                    .has_value());
  }
  Archiver archiver({.batch_size = 100, .batch_timeout = 200ms, .poll_timeout = 20ms}, *spool_,
                    objects_, metrics_, lag_metrics_);
  ASSERT_TRUE(archiver.Start().has_value());
  ASSERT_TRUE(WaitForLines(150));
  archiver.Stop();
  EXPECT_EQ(ArchivedLines(), values);  // Each event once, the stale object replaced.
  const auto keys = objects_.List("logs-archive", "");
  EXPECT_EQ(*keys,
            (std::vector<std::string>{"2025/10/30/app-logs-0-00000000000000000000.ndjson.gz",
                                      "2025/10/30/app-logs-0-00000000000000000037.ndjson.gz",
                                      "2025/10/30/app-logs-0-00000000000000000137.ndjson.gz"}));
}

TEST_F(ArchiverTest, AStoreOutageDelaysButNeverLosesOrDuplicates) {
  const auto values = Produce(120);
  FlakyObjectStore flaky(objects_, 6);
  Archiver archiver({.batch_size = 100,
                     .batch_timeout = 100ms,
                     .poll_timeout = 20ms,
                     .retry = {.initial_backoff = 1ms, .max_backoff = 5ms}},
                    *spool_, flaky, metrics_, lag_metrics_);
  ASSERT_TRUE(archiver.Start().has_value());
  ASSERT_TRUE(WaitForLines(120));
  archiver.Stop();
  EXPECT_EQ(ArchivedLines(), values);
  EXPECT_EQ(metrics_.upload_errors.Value(), 6u);
  EXPECT_EQ(flaky.puts.load(), 2);
}

TEST_F(ArchiverTest, ReportsNotReadyWhileUploadsFailAndReadyOnceOneWorks) {
  const auto values = Produce(10);
  FlakyObjectStore flaky(objects_, 1'000'000);
  Readiness readiness;
  Archiver archiver({.batch_size = 10,
                     .poll_timeout = 20ms,
                     .retry = {.initial_backoff = 1ms, .max_backoff = 5ms},
                     .readiness = &readiness.Add("archiver")},
                    *spool_, flaky, metrics_, lag_metrics_);
  ASSERT_TRUE(archiver.Start().has_value());
  const auto reported = [&](std::string_view text) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto problems = readiness.Problems();
      if (text.empty() ? problems.empty()
                       : !problems.empty() && problems[0].find(text) != std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  };
  EXPECT_TRUE(reported("archiver: archive uploads fail: store unavailable (since "));
  flaky.Recover();
  ASSERT_TRUE(WaitForLines(10));
  EXPECT_TRUE(reported(""));
  archiver.Stop();
  EXPECT_EQ(ArchivedLines(), values);
}

TEST_F(ArchiverTest, StoppingUploadsWhatTheBatchesHold) {
  const auto values = Produce(30);
  {
    Archiver archiver({.batch_size = 100, .batch_timeout = 1h, .poll_timeout = 20ms}, *spool_,
                      objects_, metrics_, lag_metrics_);
    ASSERT_TRUE(archiver.Start().has_value());
    for (int i = 0; i < 500 && metrics_.messages_consumed.Value() < 30; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    archiver.Stop();
  }
  EXPECT_EQ(ArchivedLines(), values);
  EXPECT_EQ(Committed()->next_offset, 30);
}

// Uploads, then dies before anyone can commit: the crash the batch-end mark exists for.
class CrashAfterFirstPut final : public objectstore::ObjectStore {
 public:
  explicit CrashAfterFirstPut(objectstore::ObjectStore& inner) : inner_(inner) {}
  Result<void> EnsureBucket(std::string_view bucket) override {
    return inner_.EnsureBucket(bucket);
  }
  Result<void> Put(std::string_view bucket, std::string_view key, std::string_view body,
                   const objectstore::Metadata& metadata) override {
    const auto put = inner_.Put(bucket, key, body, metadata);
    if (put) ::_exit(137);
    return put;
  }
  Result<objectstore::StoredObject> Get(std::string_view bucket, std::string_view key) override {
    return inner_.Get(bucket, key);
  }
  Result<std::vector<std::string>> List(std::string_view bucket, std::string_view prefix) override {
    return inner_.List(bucket, prefix);
  }
  Result<std::vector<std::string>> ListFolders(std::string_view bucket,
                                               std::string_view prefix) override {
    return inner_.ListFolders(bucket, prefix);
  }

 private:
  objectstore::ObjectStore& inner_;
};

TEST(ArchiverCrashTest, ACrashBetweenUploadAndCommitIsRepairedByTheNextRun) {
  test_support::TempDirectory folder("archiver_crash");
  const auto spool_folder = folder.path() / "spool";
  objectstore::local::LocalObjectStore objects(folder.path() / "archive");
  std::vector<std::string> values;
  for (int n = 0; n < 130; ++n) {
    values.push_back(
        R"({"timestamp":"2025-10-30T12:00:00.000Z","service":"svc","level":"INFO","message":"e)" +
        std::to_string(n) + "\"}");
  }
  {
    metrics::Registry registry;
    auto spool = queue::spool::Spool::Open({.directory = spool_folder, .partitions = 1}, registry);
    ASSERT_TRUE(spool.has_value());
    std::vector<queue::OutgoingRecord> records;
    for (const auto& value : values) records.push_back({"svc", value, 0, {}});
    std::promise<Result<void>> done;
    (*spool)->Produce("app-logs", records, [&](Result<void> result) { done.set_value(result); });
    ASSERT_TRUE(done.get_future().get().has_value());
  }

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    metrics::Registry registry;
    auto spool = queue::spool::Spool::Open({.directory = spool_folder, .partitions = 1}, registry);
    if (!spool) ::_exit(1);
    CrashAfterFirstPut crashing(objects);
    ArchiverMetrics metrics(registry);
    queue::ConsumerLagMetrics lag(registry);
    Archiver archiver({.batch_size = 100, .batch_timeout = 1h, .poll_timeout = 20ms}, **spool,
                      crashing, metrics, lag);
    if (!archiver.Start()) ::_exit(1);
    std::this_thread::sleep_for(60s);
    ::_exit(2);  // Never uploaded: the test fails below.
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 137) << "the archiver did not upload and crash";
  ASSERT_EQ(objects.List("logs-archive", "")->size(), 1u);  // Uploaded, never committed.

  metrics::Registry registry;
  auto spool = queue::spool::Spool::Open({.directory = spool_folder, .partitions = 1}, registry);
  ASSERT_TRUE(spool.has_value());
  ArchiverMetrics metrics(registry);
  queue::ConsumerLagMetrics lag(registry);
  {
    // A different batch size now: the mark, not the settings, decides the first batch.
    Archiver archiver({.batch_size = 7, .batch_timeout = 100ms, .poll_timeout = 20ms}, **spool,
                      objects, metrics, lag);
    ASSERT_TRUE(archiver.Start().has_value());
    for (int i = 0; i < 1000 && metrics.messages_archived.Value() < 130; ++i) {
      std::this_thread::sleep_for(10ms);
    }
  }
  std::vector<std::string> lines;
  const auto keys = objects.List("logs-archive", "");
  ASSERT_TRUE(keys.has_value());
  for (const auto& key : *keys) {
    std::string ndjson;
    ASSERT_TRUE(Decompress(ContentEncoding::kGzip, objects.Get("logs-archive", key)->body, 1 << 30,
                           0, ndjson)
                    .has_value());
    for (size_t start = 0; start < ndjson.size();) {
      const size_t end = ndjson.find('\n', start);
      lines.push_back(ndjson.substr(start, end - start));
      start = end + 1;
    }
  }
  EXPECT_EQ(lines, values);
  EXPECT_EQ(objects.List("logs-archive", "")->front(),
            "2025/10/30/app-logs-0-00000000000000000000.ndjson.gz");
  EXPECT_EQ(objects.Get("logs-archive", "2025/10/30/app-logs-0-00000000000000000000.ndjson.gz")
                ->metadata.at("count"),
            "100");
}

}  // namespace
}  // namespace lp::archiver
