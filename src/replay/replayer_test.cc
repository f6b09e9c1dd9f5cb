#include "replay/replayer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "archiver/compressor.h"
#include "core/file_util.h"
#include "core/testing/temp_directory.h"
#include "objectstore/local/local_object_store.h"
#include "queue/spool/spool.h"

namespace lp::replay {
namespace {

using namespace std::chrono_literals;

// Counts listings, and can hold every listing until released, as a slow bucket would.
class WatchedArchive final : public objectstore::ObjectStore {
 public:
  explicit WatchedArchive(objectstore::ObjectStore& inner) : inner_(inner) {}
  Result<void> EnsureBucket(std::string_view bucket) override {
    return inner_.EnsureBucket(bucket);
  }
  Result<void> Put(std::string_view bucket, std::string_view key, std::string_view body,
                   const objectstore::Metadata& metadata) override {
    return inner_.Put(bucket, key, body, metadata);
  }
  Result<objectstore::StoredObject> Get(std::string_view bucket, std::string_view key) override {
    return inner_.Get(bucket, key);
  }
  Result<std::vector<std::string>> List(std::string_view bucket, std::string_view prefix) override {
    Wait();
    ++listings;
    return inner_.List(bucket, prefix);
  }
  Result<std::vector<std::string>> ListFolders(std::string_view bucket,
                                               std::string_view prefix) override {
    Wait();
    ++listings;
    return inner_.ListFolders(bucket, prefix);
  }
  void Hold() {
    std::lock_guard lock(mutex_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    released_.notify_all();
  }

  std::atomic<int> listings{0};

 private:
  void Wait() {
    std::unique_lock lock(mutex_);
    released_.wait_for(lock, 200ms, [&] { return !held_; });
  }

  objectstore::ObjectStore& inner_;
  std::mutex mutex_;
  std::condition_variable released_;
  bool held_ = false;
};

class ReplayerTest : public testing::Test {
 protected:
  void SetUp() override {
    auto spool = queue::spool::Spool::Open({.directory = folder_.path() / "spool"}, registry_);
    ASSERT_TRUE(spool.has_value());
    spool_ = std::move(*spool);
    ASSERT_TRUE(archive_.EnsureBucket("logs-archive").has_value());
    Put("2025/10/30/app-logs-0-00000000000000000000.ndjson.gz",
        R"({"timestamp":"2025-10-30T10:00:00Z","service":"web","level":"info","message":"one"})"
        "\n"
        R"({"service":"web","level":"LOUD","message":"invalid"})"
        "\n"
        R"({"timestamp":"2025-10-30T11:00:00Z","service":"api","level":"error","message":"two"})"
        "\n"
        "not json\n",
        {{"topic", "app-logs"}, {"partition", "0"}, {"line-offsets", "0-1,3,4"}});
    Put("2025/10/31/app-logs-1-00000000000000000005.ndjson.gz",
        R"({"timestamp":"2025-10-31T10:00:00Z","service":"web","level":"warn","message":"three"})"
        "\n");
    Put("2025/11/02/app-logs-1-00000000000000000009.ndjson.gz",
        R"({"timestamp":"2025-11-02T10:00:00Z","service":"web","level":"warn","message":"later"})"
        "\n");
  }

  void Put(const std::string& key, const std::string& ndjson,
           const objectstore::Metadata& metadata = {}) {
    archiver::Compressor gzip(archiver::Compression::kGzip);
    const auto compressed = gzip.Compress(ndjson);
    ASSERT_TRUE(compressed.has_value());
    ASSERT_TRUE(archive_.Put("logs-archive", key, *compressed, metadata).has_value());
  }

  // What replay produced into app-logs since the last call: original id -> record.
  std::map<std::string, queue::ConsumedRecord> Produced(size_t expected) {
    if (!reader_) reader_ = std::move(*spool_->Subscribe("check", "app-logs"));
    std::map<std::string, queue::ConsumedRecord> records;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    size_t read = 0;
    while (read < expected && std::chrono::steady_clock::now() < deadline) {
      auto polled = reader_->Poll(100, 100ms);
      EXPECT_TRUE(polled.has_value());
      if (!polled) break;
      for (auto& record : *polled) {
        ++read;
        const auto* id = queue::FindHeader(record.headers, queue::kOriginalIdHeader);
        EXPECT_NE(id, nullptr);
        if (id != nullptr) records[*id] = std::move(record);
      }
    }
    EXPECT_EQ(read, expected);
    return records;
  }

  static ReplayStatus RunToEnd(Replayer& replayer, ReplayRequest request) {
    const auto id = replayer.Start(request);
    if (!id) return ReplayStatus{.state = "refused", .error = id.error().message};
    return WaitForEnd(replayer, *id);
  }

  static ReplayStatus WaitForEnd(Replayer& replayer, const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto status = replayer.Status(id);
      if (status && status->state != "running") return *status;
      std::this_thread::sleep_for(10ms);
    }
    return ReplayStatus{.state = "timed out"};
  }

  static std::chrono::sys_days Day(const char* text) { return *ParseDate(text); }
  std::filesystem::path StateFile() const { return folder_.path() / "replay-jobs.json"; }

  test_support::TempDirectory folder_{"replay"};
  objectstore::local::LocalObjectStore archive_{folder_.path() / "archive"};
  metrics::Registry registry_;
  std::unique_ptr<queue::spool::Spool> spool_;
  std::unique_ptr<queue::Consumer> reader_;
};

TEST_F(ReplayerTest, ProducesTheRangeIntoTheQueueUnderTheOriginalIds) {
  Replayer replayer(archive_, "logs-archive", *spool_, "app-logs", StateFile());
  for (int round = 0; round < 2; ++round) {
    const auto status = RunToEnd(replayer, {Day("2025-10-30"), Day("2025-11-01"), std::nullopt});
    EXPECT_EQ(status.state, "done") << status.error;
    EXPECT_EQ(status.objects_total, 2u);
    EXPECT_EQ(status.objects_done, 2u);
    EXPECT_EQ(status.events_queued, 4u);  // The processor validates: "LOUD" is its to refuse.
    EXPECT_EQ(status.events_skipped, 1u);
    const auto records = Produced(4);
    ASSERT_EQ(records.size(), 4u);
    // From the object's line offsets; the object without them: its key and line.
    for (const char* id : {"app-logs-0-0", "app-logs-0-1", "app-logs-0-3",
                           "2025/10/31/app-logs-1-00000000000000000005.ndjson.gz#1"}) {
      EXPECT_TRUE(records.contains(id)) << id;
    }
    const auto& two = records.at("app-logs-0-3");
    EXPECT_EQ(two.key, "api");  // Keyed by service, as the collector keys events.
    EXPECT_EQ(
        two.value,
        R"({"timestamp":"2025-10-30T11:00:00Z","service":"api","level":"error","message":"two"})");
  }
}

TEST_F(ReplayerTest, ReplaysOneServiceWhenAsked) {
  Replayer replayer(archive_, "logs-archive", *spool_, "app-logs", StateFile());
  const auto status = RunToEnd(replayer, {Day("2025-10-30"), Day("2025-11-02"), "web"});
  EXPECT_EQ(status.state, "done");
  EXPECT_EQ(status.events_queued, 4u);
  for (const auto& [id, record] : Produced(4)) EXPECT_EQ(record.key, "web") << id;
}

TEST_F(ReplayerTest, ReplaysEveryTenantsFolder) {
  Put("tenant=acme/2025/10/30/app-logs-2-00000000000000000003.ndjson.gz",
      R"({"tenant":"acme","timestamp":"2025-10-30T12:00:00Z","service":"web","message":"a"})"
      "\n",
      {{"topic", "app-logs"}, {"partition", "2"}, {"line-offsets", "3"}});
  Put("tenant=2025/2025/11/02/app-logs-2-00000000000000000004.ndjson.gz",
      R"({"tenant":"2025","timestamp":"2025-11-02T12:00:00Z","service":"web","message":"b"})"
      "\n",
      {{"topic", "app-logs"}, {"partition", "2"}, {"line-offsets", "4"}});
  Replayer replayer(archive_, "logs-archive", *spool_, "app-logs", StateFile());
  const auto status = RunToEnd(replayer, {Day("2025-10-30"), Day("2025-10-30"), std::nullopt});
  EXPECT_EQ(status.state, "done") << status.error;
  EXPECT_EQ(status.objects_total, 2u);
  const auto records = Produced(4);
  ASSERT_TRUE(records.contains("app-logs-2-3"));
  EXPECT_NE(records.at("app-logs-2-3").value.find(R"("tenant":"acme")"), std::string::npos);
  EXPECT_FALSE(records.contains("app-logs-2-4"));  // Another day, of a tenant named like a year.
}

TEST_F(ReplayerTest, AWideRangeListsOnlyTheDaysThatExist) {
  WatchedArchive archive(archive_);
  Replayer replayer(archive, "logs-archive", *spool_, "app-logs", StateFile());
  const auto status = RunToEnd(replayer, {Day("0001-01-01"), Day("9999-12-31"), std::nullopt});
  EXPECT_EQ(status.state, "done") << status.error;
  EXPECT_EQ(status.objects_total, 3u);
  // One listing of years, of months per year, of days per month, and one per existing day.
  EXPECT_LE(archive.listings.load(), 10);
}

TEST_F(ReplayerTest, RunsOneReplayAtATimeAndStopsPromptly) {
  WatchedArchive archive(archive_);
  archive.Hold();
  Replayer replayer(archive, "logs-archive", *spool_, "app-logs", StateFile());
  const auto first = replayer.Start({Day("0001-01-01"), Day("9999-12-31"), std::nullopt});
  ASSERT_TRUE(first.has_value());
  const auto second = replayer.Start({Day("2025-10-30"), Day("2025-10-30"), std::nullopt});
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().message.find(*first + " is running"), std::string::npos);

  // Stop does not wait for the whole range: the job ends at its next listing.
  const auto stopping = std::chrono::steady_clock::now();
  replayer.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 30s);
  const auto stopped = replayer.Status(*first);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(stopped->state, "failed");
  EXPECT_EQ(stopped->error, "stopped");

  archive.Release();
  for (int round = 0; round < 3; ++round) {
    const auto status = RunToEnd(replayer, {Day("2025-10-30"), Day("2025-10-30"), std::nullopt});
    EXPECT_EQ(status.state, "done") << status.error;
  }
}

TEST_F(ReplayerTest, AnEarlierJobIsStillKnownAfterARestartAndIdsAreNotReused) {
  std::string first;
  {
    Replayer replayer(archive_, "logs-archive", *spool_, "app-logs", StateFile());
    const auto id = replayer.Start({Day("2025-10-30"), Day("2025-11-01"), "web"});
    ASSERT_TRUE(id.has_value());
    first = *id;
    EXPECT_EQ(WaitForEnd(replayer, first).state, "done");
  }
  Replayer restarted(archive_, "logs-archive", *spool_, "app-logs", StateFile());
  const auto status = restarted.Status(first);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->state, "done");
  EXPECT_EQ(status->objects_done, 2u);
  EXPECT_EQ(status->events_queued, 3u);
  const auto second = restarted.Start({Day("2025-10-30"), Day("2025-10-30"), std::nullopt});
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(*second, first);
  EXPECT_EQ(WaitForEnd(restarted, *second).state, "done");
}

TEST_F(ReplayerTest, AJobStoppedByAShutdownResumesAfterItsLastObjectOnTheNextStart) {
  WatchedArchive archive(archive_);
  archive.Hold();
  std::string id;
  {
    Replayer replayer(archive, "logs-archive", *spool_, "app-logs", StateFile());
    id = *replayer.Start({Day("2025-10-30"), Day("2025-11-02"), std::nullopt});
  }  // Shut down while the job waits for its first listing.
  archive.Release();
  {
    Replayer restarted(archive, "logs-archive", *spool_, "app-logs", StateFile());
    const auto status = WaitForEnd(restarted, id);
    EXPECT_EQ(status.state, "done") << status.error;
    EXPECT_EQ(status.objects_done, 3u);
    EXPECT_EQ(Produced(5).size(), 5u);
  }

  // As a process stopped after the first object would have left it: the next start produces
  // only the objects after it.
  ASSERT_TRUE(ReplaceFileAtomically(
                  StateFile(),
                  R"({"next_id":8,"jobs":[{"id":"replay-7","from":"2025-10-30","to":"2025-11-02",)"
                  R"("state":"running","error":"","objects_total":3,"objects_done":1,)"
                  R"("events_queued":3,"events_skipped":1,"last_key":)"
                  R"("2025/10/30/app-logs-0-00000000000000000000.ndjson.gz"}]})")
                  .has_value());
  Replayer resumed(archive_, "logs-archive", *spool_, "app-logs", StateFile());
  const auto status = WaitForEnd(resumed, "replay-7");
  EXPECT_EQ(status.state, "done") << status.error;
  EXPECT_EQ(status.objects_total, 3u);
  EXPECT_EQ(status.objects_done, 3u);
  EXPECT_EQ(status.events_queued, 5u);
  const auto records = Produced(2);
  EXPECT_TRUE(records.contains("2025/10/31/app-logs-1-00000000000000000005.ndjson.gz#1"));
  EXPECT_TRUE(records.contains("2025/11/02/app-logs-1-00000000000000000009.ndjson.gz#1"));
  EXPECT_EQ(resumed.Start({Day("2025-10-30"), Day("2025-10-30"), std::nullopt}).value(),
            "replay-8");
}

TEST_F(ReplayerTest, AnUnreadableStateFileIsForgottenNotFatal) {
  ASSERT_TRUE(ReplaceFileAtomically(StateFile(), "{not json").has_value());
  Replayer replayer(archive_, "logs-archive", *spool_, "app-logs", StateFile());
  const auto status = RunToEnd(replayer, {Day("2025-10-30"), Day("2025-10-30"), std::nullopt});
  EXPECT_EQ(status.state, "done") << status.error;
}

TEST(ParseDateTest, AcceptsCalendarDatesOnly) {
  EXPECT_TRUE(ParseDate("2024-02-29").has_value());
  for (const char* text : {"2025-02-29", "2025-13-01", "2025-1-01", "yesterday", "2025/10/30"}) {
    const auto parsed = ParseDate(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_NE(parsed.error().message.find(text), std::string::npos);
  }
}

}  // namespace
}  // namespace lp::replay
