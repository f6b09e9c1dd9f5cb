// The log store's own guarantees beyond the seam's contract (which contract/ checks): offsets
// durable only with parts, upsert across buffer, parts and merges, retention by arrival,
// corrupt parts set aside and read again, a failing disk.
#include "search/logstore/log_store.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <thread>

#include "core/testing/temp_directory.h"

namespace lp::search::logstore {
namespace {

SearchDocument Document(int offset, std::string message, int64_t timestamp_ms = 1000,
                        std::string level = "INFO") {
  SearchDocument document;
  document.id = "app-logs-0-" + std::to_string(offset);
  document.timestamp_ms = timestamp_ms;
  document.service = "web";
  document.level = std::move(level);
  document.message = std::move(message);
  document.json =
      R"({"offset":)" + std::to_string(offset) + R"(,"message":")" + document.message + "\"}";
  document.source_partition = 0;
  document.source_offset = offset;
  return document;
}

class LogStoreTest : public testing::Test {
 protected:
  std::unique_ptr<LogStore> OpenStore() {
    LogStoreOptions options{.directory = folder_.path() / "logstore",
                            .merge_above_parts = 100,
                            .clock_ms = [this] { return now_ms_; },
                            .background = false};
    options.flush_part.rows_per_block = 16;
    options.merged_part.rows_per_block = 16;
    auto store = LogStore::Open(std::move(options), metrics_);
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  void WriteOrFail(LogStore& store, const std::vector<SearchDocument>& documents) {
    const auto outcomes = store.Write(documents);
    ASSERT_TRUE(outcomes.has_value()) << outcomes.error().message;
    for (const auto& outcome : *outcomes) EXPECT_TRUE(outcome.accepted) << outcome.error;
  }

  static uint64_t Total(LogStore& store, std::string_view q = "") {
    auto filter = ParseQuery(q);
    EXPECT_TRUE(filter.has_value()) << filter.error().message;
    const auto page = store.Search(SearchQuery{.filter = *filter, .total_limit = std::nullopt});
    EXPECT_TRUE(page.has_value()) << page.error().message;
    return page ? page->total : 0;
  }

  test_support::TempDirectory folder_{"logstore"};
  metrics::Registry registry_;
  LogStoreMetrics metrics_{registry_};
  int64_t now_ms_ = 1'000'000;
};

TEST_F(LogStoreTest, ReportsOffsetsDurableOnlyOnceTheirDocumentsAreInAPart) {
  auto store = OpenStore();
  EXPECT_EQ(store->ResumeOffset(0), std::optional<int64_t>(0));
  WriteOrFail(*store, {Document(0, "first"), Document(1, "second")});
  const std::vector<SourceOffset> handled{{0, 2}};
  auto durable = store->Checkpoint(handled);
  ASSERT_TRUE(durable.has_value());
  EXPECT_TRUE(durable->empty());  // Searchable from the buffer, not durable yet.
  EXPECT_EQ(Total(*store), 2u);
  ASSERT_TRUE(store->Flush().has_value());
  durable = store->Checkpoint({});
  ASSERT_EQ(durable->size(), 1u);
  EXPECT_EQ((*durable)[0], (SourceOffset{0, 2}));

  // Buffered but never flushed (as after kill -9): gone at restart, resumed from offset 2.
  WriteOrFail(*store, {Document(2, "third")});
  ASSERT_TRUE(store->Checkpoint(std::vector<SourceOffset>{{0, 3}}).has_value());
  auto reopened_folder = folder_.path() / "copy";
  std::filesystem::copy(folder_.path() / "logstore", reopened_folder);
  store.reset();  // Stop flushes; the copy taken before is the crashed state.
  std::filesystem::remove_all(folder_.path() / "logstore");
  std::filesystem::rename(reopened_folder, folder_.path() / "logstore");
  store = OpenStore();
  EXPECT_EQ(store->ResumeOffset(0), std::optional<int64_t>(2));
  EXPECT_EQ(Total(*store), 2u);
  EXPECT_EQ(Total(*store, "third"), 0u);
}

TEST_F(LogStoreTest, ARedeliveredIdIsOneHitAcrossBufferPartsAndMerges) {
  auto store = OpenStore();
  std::vector<SearchDocument> batch;
  for (int i = 0; i < 40; ++i)
    batch.push_back(Document(i, "original " + std::to_string(i), 1000 + i));
  WriteOrFail(*store, batch);
  WriteOrFail(*store, {Document(3, "rewritten in buffer", 1003)});
  EXPECT_EQ(Total(*store), 40u);
  ASSERT_TRUE(store->Flush().has_value());
  // Again after the flush: found in the part through its blocks' bloom filters.
  WriteOrFail(*store, {Document(5, "rewritten after flush", 1005)});
  EXPECT_EQ(Total(*store), 40u);
  EXPECT_EQ(Total(*store, "rewritten"), 2u);
  ASSERT_TRUE(store->Flush().has_value());
  // An arbitrary string id (an Elasticsearch _bulk _id) is handled the same.
  auto custom = Document(100, "custom one");
  custom.id = "my id";
  WriteOrFail(*store, {custom});
  ASSERT_TRUE(store->Flush().has_value());
  custom.message = "custom two";
  WriteOrFail(*store, {custom});
  EXPECT_EQ(Total(*store), 41u);
  // Both forms again while still buffered, one of them twice in one batch.
  auto other = Document(101, "other one");
  other.id = "other id";
  WriteOrFail(*store, {other, Document(39, "late 39", 1039)});
  other.message = "other two";
  WriteOrFail(*store, {other, Document(39, "later 39", 1039), Document(39, "latest 39", 1039)});
  EXPECT_EQ(Total(*store), 42u);
  EXPECT_EQ(Total(*store, "other"), 1u);
  EXPECT_EQ(Total(*store, "latest"), 1u);
  EXPECT_EQ(Total(*store, "late OR later"), 0u);
  ASSERT_TRUE(store->Flush().has_value());
  EXPECT_EQ(store->PartCount(), 4u);
  while (*store->MergeOnce(true)) {
  }
  EXPECT_EQ(store->PartCount(), 1u);
  EXPECT_EQ(Total(*store), 42u);
  EXPECT_EQ(Total(*store, "original"), 37u);
  EXPECT_EQ(Total(*store, "custom"), 1u);
  EXPECT_EQ(Total(*store, "\"custom two\""), 1u);
  // And after the merge, across a restart.
  WriteOrFail(*store, {Document(7, "rewritten after merge", 1007)});
  ASSERT_TRUE(store->Flush().has_value());
  store.reset();
  store = OpenStore();
  EXPECT_EQ(Total(*store), 42u);
  EXPECT_EQ(Total(*store, "rewritten"), 3u);
}

// Counts, facets of `service` and histograms answered from block summaries (level counts,
// service levels) must equal what reading the rows gives: in blocks wholly in the time range,
// cut by it, and holding a row replaced by a later write.
TEST_F(LogStoreTest, CountsFromBlockSummariesAreWhatReadingTheRowsGives) {
  auto store = OpenStore();
  const std::vector<std::string> services = {"alpha", "beta", "gamma"};
  const std::vector<std::string> levels = {"INFO", "ERROR", "WARN", "DEBUG"};
  std::vector<SearchDocument> batch;
  std::map<std::pair<std::string, std::string>, uint64_t> expected;  // (service, level)
  for (int i = 0; i < 300; ++i) {
    auto document = Document(i, "event " + std::to_string(i), 3'600'000 + i * 20'000,
                             levels[static_cast<size_t>(i * 7 % 11) % levels.size()]);
    document.service = services[static_cast<size_t>(i * i + i / 7) % services.size()];
    document.json.insert(1, "\"host\":\"host-" + std::to_string(i % 7) + "\",");
    ++expected[{document.service, document.level}];
    batch.push_back(document);
  }
  for (const auto& service : services) {
    ASSERT_GT((expected[{service, "ERROR"}]), 0u) << service;
    ASSERT_GT((expected[{service, "INFO"}]), 0u) << service;
  }
  WriteOrFail(*store, batch);
  ASSERT_TRUE(store->Flush().has_value());
  // A row of the part replaced: its block is read row by row from now on.
  auto replaced = batch[10];
  --expected[{replaced.service, replaced.level}];
  replaced.level = "ERROR";
  ++expected[{replaced.service, replaced.level}];
  WriteOrFail(*store, {replaced});
  ASSERT_TRUE(store->Flush().has_value());

  for (const auto& service : services) {
    // A prefix is never answered from summaries: the same question, read from the rows.
    const std::string prefix = service.substr(0, 3) + "*";
    EXPECT_EQ(Total(*store, "service:" + service + " level:ERROR"),
              Total(*store, "service:" + prefix + " level:ERROR"));
    EXPECT_EQ(Total(*store, "service:" + service + " level:ERROR"), (expected[{service, "ERROR"}]));
  }
  const auto query = [](std::string_view q, std::optional<int64_t> from = {}) {
    auto filter = ParseQuery(q);
    EXPECT_TRUE(filter.has_value());
    return SearchQuery{.filter = *filter, .from_ms = from};
  };
  const auto facets = store->Facet(query("level:ERROR"), "service", 10);
  ASSERT_TRUE(facets.has_value()) << facets.error().message;
  std::map<std::string, uint64_t> facet_counts;
  for (const auto& value : facets->values) facet_counts[value.value] = value.count;
  for (const auto& service : services) {
    EXPECT_EQ(facet_counts[service], (expected[{service, "ERROR"}])) << service;
  }
  // Facets of host with no filter read the host codes alone; with a filter, the rows.
  const auto hosts = store->Facet(query(""), "host", 10);
  const auto read_hosts = store->Facet(query("NOT service:zzz"), "host", 10);
  ASSERT_TRUE(hosts.has_value() && read_hosts.has_value());
  ASSERT_EQ(hosts->values.size(), 7u);
  ASSERT_EQ(read_hosts->values.size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(hosts->values[i].value, read_hosts->values[i].value);
    EXPECT_EQ(hosts->values[i].count, read_hosts->values[i].count);
  }
  // Cut by the time range: the first rows are left out, whichever way they are counted.
  const int64_t from = 3'600'000 + 57 * 20'000;
  const auto cut = store->Facet(query("service:beta", from), "service", 10);
  ASSERT_TRUE(cut.has_value());
  ASSERT_EQ(cut->values.size(), 1u);
  const auto read_cut = store->Search(query("service:bet*", from));
  ASSERT_TRUE(read_cut.has_value());
  EXPECT_EQ(cut->values[0].count, read_cut->total);
  uint64_t beta = 0;
  for (const auto& level : levels) beta += expected[{"beta", level}];
  EXPECT_LT(read_cut->total, beta);
  // Histograms by level and by service, over one-hour buckets (several blocks each).
  for (const std::string by : {"level", "service"}) {
    const std::string summarized_query = by == "level" ? "service:gamma" : "level:ERROR";
    const HistogramRequest request{.interval_ms = 3'600'000, .by = by, .groups = 10};
    const auto summarized = store->Histogram(query(summarized_query), request);
    // A negation is never answered from summaries.
    const auto read = store->Histogram(query(summarized_query + " NOT service:zzz"), request);
    ASSERT_TRUE(summarized.has_value() && read.has_value());
    ASSERT_EQ(summarized->size(), read->size()) << by;
    uint64_t summarized_total = 0;
    for (size_t i = 0; i < read->size(); ++i) {
      EXPECT_EQ((*summarized)[i].start_ms, (*read)[i].start_ms);
      EXPECT_EQ((*summarized)[i].value, (*read)[i].value);
      EXPECT_EQ((*summarized)[i].count, (*read)[i].count);
      summarized_total += (*summarized)[i].count;
    }
    uint64_t want = 0;
    for (const auto& [key, count] : expected) {
      if (by == "level" ? key.first == "gamma" : key.second == "ERROR") want += count;
    }
    EXPECT_EQ(summarized_total, want) << by;
  }
}

TEST_F(LogStoreTest, RetentionCountsFromArrivalNeverFromTheEventsTimestamp) {
  auto store = OpenStore();
  // Dated years ago, written now.
  WriteOrFail(*store, {Document(0, "ancient event", 946'684'800'000)});
  ASSERT_TRUE(store->Flush().has_value());
  store.reset();
  store = OpenStore();
  const int64_t thirty_days = 30LL * 24 * 3600 * 1000;
  auto dropped = store->DeleteArrivedBefore(now_ms_ - thirty_days);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(*dropped, 0u);
  EXPECT_EQ(Total(*store, "ancient"), 1u);
  // Thirty-one days later it goes, as a whole part.
  now_ms_ += thirty_days + 24 * 3600 * 1000;
  WriteOrFail(*store, {Document(1, "recent event")});
  ASSERT_TRUE(store->Flush().has_value());
  dropped = store->DeleteArrivedBefore(now_ms_ - thirty_days);
  EXPECT_EQ(*dropped, 1u);
  EXPECT_EQ(Total(*store, "ancient"), 0u);
  EXPECT_EQ(Total(*store, "recent"), 1u);
  EXPECT_EQ(metrics_.retention_dropped_age.Value(), 1u);
}

TEST_F(LogStoreTest, SizeRetentionDropsTheOldestArrivedPartsFirst) {
  auto store = OpenStore();
  WriteOrFail(*store, {Document(0, "older")});
  ASSERT_TRUE(store->Flush().has_value());
  store.reset();
  LogStoreOptions options{.directory = folder_.path() / "logstore",
                          .retention_bytes = 1,
                          .clock_ms = [this] { return now_ms_; },
                          .background = false};
  auto limited = LogStore::Open(std::move(options), metrics_);
  ASSERT_TRUE(limited.has_value());
  now_ms_ += 1000;
  WriteOrFail(**limited, {Document(1, "newer")});
  ASSERT_TRUE((*limited)->Flush().has_value());
  // Both parts exceed one byte: the older goes first, then the newer too.
  EXPECT_EQ(Total(**limited, "older"), 0u);
  EXPECT_EQ(metrics_.retention_dropped_bytes.Value(), 2u);
}

TEST_F(LogStoreTest, SetsACorruptPartAsideAndRewindsItsPartitionsAtStart) {
  auto store = OpenStore();
  WriteOrFail(*store, {Document(0, "kept"), Document(1, "kept too")});
  ASSERT_TRUE(store->Checkpoint(std::vector<SourceOffset>{{0, 2}}).has_value());
  ASSERT_TRUE(store->Flush().has_value());
  WriteOrFail(*store, {Document(2, "damaged"), Document(3, "damaged too")});
  ASSERT_TRUE(store->Checkpoint(std::vector<SourceOffset>{{0, 4}}).has_value());
  ASSERT_TRUE(store->Flush().has_value());
  store.reset();
  std::vector<std::filesystem::path> parts;
  for (const auto& entry : std::filesystem::directory_iterator(folder_.path() / "logstore")) {
    if (entry.path().extension() == ".lp") parts.push_back(entry.path());
  }
  std::sort(parts.begin(), parts.end());
  ASSERT_EQ(parts.size(), 2u);
  std::filesystem::resize_file(parts[1], std::filesystem::file_size(parts[1]) - 7);

  store = OpenStore();
  EXPECT_EQ(metrics_.corrupt_parts.Value(), 1u);
  EXPECT_TRUE(std::filesystem::exists(parts[1].string() + ".corrupt"));
  EXPECT_EQ(store->ResumeOffset(0), std::optional<int64_t>(2));
  EXPECT_EQ(Total(*store), 2u);
  // The queue delivers 2 and 3 again; the rewind survives a restart until they are in a part.
  store.reset();
  store = OpenStore();
  EXPECT_EQ(store->ResumeOffset(0), std::optional<int64_t>(2));
  WriteOrFail(*store, {Document(2, "damaged"), Document(3, "damaged too")});
  ASSERT_TRUE(store->Checkpoint(std::vector<SourceOffset>{{0, 4}}).has_value());
  ASSERT_TRUE(store->Flush().has_value());
  EXPECT_EQ(store->ResumeOffset(0), std::optional<int64_t>(4));
  EXPECT_EQ(Total(*store, "damaged"), 2u);
}

TEST_F(LogStoreTest, ADiskThatRefusesWritesStopsDurabilityAndTheBufferThenResumes) {
  auto store = OpenStore();
  std::string noise;  // Incompressible, so the part is larger than the limit below.
  uint64_t state = 42;
  for (int i = 0; i < 8192; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    noise.push_back(static_cast<char>('a' + (state >> 59)));
  }
  WriteOrFail(*store, {Document(0, noise)});
  ASSERT_TRUE(store->Checkpoint(std::vector<SourceOffset>{{0, 1}}).has_value());
  // The kernel refuses to grow files past 1 KiB (as a full disk refuses to grow them).
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit small = saved;
  small.rlim_cur = 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const auto failed = store->Flush();
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  ASSERT_FALSE(failed.has_value());
  EXPECT_TRUE(failed.error().retryable());
  EXPECT_TRUE(store->Checkpoint({})->empty());  // Nothing may be committed.
  EXPECT_EQ(Total(*store), 1u);                 // Still searchable from the buffer.
  EXPECT_EQ(metrics_.flush_errors.Value(), 1u);
  for (const auto& entry : std::filesystem::directory_iterator(folder_.path() / "logstore")) {
    EXPECT_EQ(entry.path().extension(), "") << entry.path();  // No half-written part.
  }
  // Space is back.
  ASSERT_TRUE(store->Flush().has_value());
  EXPECT_EQ(store->Checkpoint({})->size(), 1u);
}

TEST_F(LogStoreTest, RefusesWritesWhileTheBufferIsFull) {
  LogStoreOptions options{
      .directory = folder_.path() / "logstore", .max_buffer_bytes = 100, .background = false};
  auto store = LogStore::Open(std::move(options), metrics_);
  ASSERT_TRUE(store.has_value());
  WriteOrFail(**store, {Document(0, std::string(200, 'x'))});
  const auto refused = (*store)->Write(std::vector<SearchDocument>{Document(1, "more")});
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(refused.error().retryable());
  ASSERT_TRUE((*store)->Flush().has_value());
  WriteOrFail(**store, {Document(1, "more")});
}

}  // namespace
}  // namespace lp::search::logstore

namespace lp::search::logstore {
namespace {

// Writers, readers and the background flush and merge threads all at once (ThreadSanitizer runs
// this suite): every document written is found exactly once, and redeliveries overwrite.
TEST(LogStoreConcurrencyTest, WritersReadersFlushesAndMergesTogether) {
  test_support::TempDirectory folder{"logstore_concurrency"};
  metrics::Registry registry;
  LogStoreMetrics metrics(registry);
  auto store = LogStore::Open({.directory = folder.path() / "logstore",
                               .flush_interval = std::chrono::milliseconds(5),
                               .merge_above_parts = 2,
                               .max_merge_parts = 3},
                              metrics);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  constexpr int kWriters = 2;
  constexpr int kBatches = 60;
  constexpr int kBatch = 50;
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (int writer = 0; writer < kWriters; ++writer) {
    threads.emplace_back([&, writer] {
      for (int batch = 0; batch < kBatches; ++batch) {
        std::vector<SearchDocument> documents;
        for (int i = 0; i < kBatch; ++i) {
          // Every fifth batch repeats the previous one: a redelivery.
          const int offset = (batch % 5 == 4 ? batch - 1 : batch) * kBatch + i;
          auto document = Document(offset, "writer " + std::to_string(writer), 1000 + offset);
          document.id = "app-logs-" + std::to_string(writer) + "-" + std::to_string(offset);
          documents.push_back(std::move(document));
        }
        EXPECT_TRUE(store->get()->Write(documents).has_value());
      }
    });
  }
  std::thread reader([&] {
    while (writing.load()) {
      const auto page = (*store)->Search(SearchQuery{.filter = *ParseQuery("writer"), .limit = 20});
      EXPECT_TRUE(page.has_value());
      const auto facets = (*store)->Facet(SearchQuery{}, "service", 5);
      EXPECT_TRUE(facets.has_value());
    }
  });
  for (auto& thread : threads) thread.join();
  writing = false;
  reader.join();
  const auto page = (*store)->Search(SearchQuery{.total_limit = std::nullopt});
  ASSERT_TRUE(page.has_value());
  // Each writer wrote 60 batches of 50 ids, 12 of them repeats of the batch before.
  EXPECT_EQ(page->total, static_cast<uint64_t>(kWriters * (kBatches - kBatches / 5) * kBatch));
  (*store)->Stop();
}

}  // namespace
}  // namespace lp::search::logstore
