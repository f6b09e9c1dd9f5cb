// One contract for every implementation of the search store seam. The Elasticsearch/OpenSearch
// run is always registered (CTest lists tests when they are built) and skips itself only when
// no server is configured (ES_HOSTS); scripts/test starts an OpenSearch node.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <set>

#include "core/testing/temp_directory.h"
#include "core/timestamp.h"
#include "search/elastic/elastic_search_store.h"
#include "search/logstore/log_store.h"
#include "search/search_store.h"
#include "search/sqlite/sqlite_search_store.h"

namespace lp::search {
namespace {

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<SearchStore>(const std::filesystem::path& folder)> make;
  /// Non-empty when the implementation cannot run here.
  std::function<std::string()> skip_reason = [] { return std::string(); };
};

// Names the implementation in test output instead of dumping the factory's bytes.
void PrintTo(const StoreFactory& factory, std::ostream* out) { *out << factory.name; }

// The log store with every write flushed into a part (and every second write merging parts),
// so the contract also runs on parts and merges, not only on the in-memory buffer.
class PartsOnlyLogStore final : public SearchStore {
 public:
  explicit PartsOnlyLogStore(std::unique_ptr<logstore::LogStore> store)
      : store_(std::move(store)) {}
  Result<std::vector<DocumentOutcome>> Write(std::span<const SearchDocument> documents) override {
    auto outcomes = store_->Write(documents);
    if (!outcomes) return outcomes;
    if (auto flushed = store_->Flush(); !flushed) return tl::unexpected(flushed.error());
    if (++writes_ % 2 == 0) {
      if (auto merged = store_->MergeOnce(true); !merged) return tl::unexpected(merged.error());
    }
    return outcomes;
  }
  Result<SearchPage> Search(const SearchQuery& query) override { return store_->Search(query); }
  Result<std::vector<HistogramBucket>> Histogram(const SearchQuery& query,
                                                 int64_t interval_ms) override {
    return store_->Histogram(query, interval_ms);
  }
  Result<uint64_t> DeleteArrivedBefore(int64_t before_ms) override {
    return store_->DeleteArrivedBefore(before_ms);
  }

 private:
  std::unique_ptr<logstore::LogStore> store_;
  int writes_ = 0;
};

logstore::LogStoreMetrics& SharedLogStoreMetrics() {
  static metrics::Registry registry;
  static logstore::LogStoreMetrics metrics(registry);
  return metrics;
}

std::vector<StoreFactory> Factories() {
  std::vector<StoreFactory> factories;
  factories.push_back(StoreFactory{"logstore", [](const std::filesystem::path& folder) {
                                     auto store = logstore::LogStore::Open(
                                         {.directory = folder / "logstore", .background = false},
                                         SharedLogStoreMetrics());
                                     EXPECT_TRUE(store.has_value()) << store.error().message;
                                     return std::unique_ptr<SearchStore>(std::move(*store));
                                   }});
  factories.push_back(StoreFactory{
      "logstore_parts", [](const std::filesystem::path& folder) {
        auto store = logstore::LogStore::Open(
            {.directory = folder / "logstore", .background = false}, SharedLogStoreMetrics());
        EXPECT_TRUE(store.has_value()) << store.error().message;
        return std::unique_ptr<SearchStore>(std::make_unique<PartsOnlyLogStore>(std::move(*store)));
      }});
  factories.push_back(StoreFactory{"sqlite", [](const std::filesystem::path& folder) {
                                     auto store =
                                         sqlite::SqliteSearchStore::Open(folder / "search.db");
                                     EXPECT_TRUE(store.has_value()) << store.error().message;
                                     return std::unique_ptr<SearchStore>(std::move(*store));
                                   }});
  factories.push_back(StoreFactory{
      "opensearch",
      [](const std::filesystem::path&) -> std::unique_ptr<SearchStore> {
        // Indices of their own per test, as the node outlives the test process.
        static std::atomic<int> counter{0};
        const std::string prefix =
            "contract-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
            std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
        auto store = elastic::ElasticSearchStore::Open(
            {.client = {.hosts = {std::getenv("ES_HOSTS")}},
             .index_prefix = prefix,
             .alias = prefix + "-write",
             .replicas = 0,
             // Searchable once written, as the contract reads right after writing.
             .refresh = "wait_for"});
        EXPECT_TRUE(store.has_value()) << store.error().message;
        if (!store) return nullptr;
        return std::move(*store);
      },
      [] {
        return std::getenv("ES_HOSTS") == nullptr
                   ? std::string("ES_HOSTS is not set (scripts/backends/opensearch start)")
                   : std::string();
      }});
  return factories;
}

SearchDocument Document(int number, std::string service, std::string level, std::string message,
                        int64_t timestamp_ms) {
  SearchDocument document;
  document.id = "app-logs-0-" + std::to_string(number);
  document.timestamp_ms = timestamp_ms;
  document.service = std::move(service);
  document.level = std::move(level);
  document.message = std::move(message);
  // As the processor writes them: the fields the store filters on are in the document too.
  document.json = R"({"n":)" + std::to_string(number) + R"(,"timestamp":")";
  AppendRfc3339Millis(document.json, timestamp_ms);
  document.json += R"(","service":")" + document.service + R"(","level":")" + document.level +
                   R"(","message":")" + document.message + "\"}";
  return document;
}

class SearchStoreContractTest : public testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    if (const auto reason = GetParam().skip_reason(); !reason.empty()) GTEST_SKIP() << reason;
    store_ = GetParam().make(folder_.path());
    ASSERT_TRUE(store_ != nullptr);
  }

  void WriteOrFail(const std::vector<SearchDocument>& documents) {
    const auto outcomes = store_->Write(documents);
    ASSERT_TRUE(outcomes.has_value()) << outcomes.error().message;
    for (const auto& outcome : *outcomes) EXPECT_TRUE(outcome.accepted) << outcome.error;
  }

  std::vector<std::string> Hits(SearchQuery query) {
    const auto page = store_->Search(query);
    EXPECT_TRUE(page.has_value()) << page.error().message;
    std::vector<std::string> documents;
    if (page) {
      for (const auto& hit : page->hits) documents.push_back(hit.json);
    }
    return documents;
  }

  void WriteSample() {
    WriteOrFail({
        Document(1, "web", "INFO", "User logged in successfully", 1000),
        Document(2, "web", "ERROR", "Payment declined for user", 2000),
        Document(3, "payments", "ERROR", "Card declined by issuer", 3000),
        Document(4, "payments", "INFO", "Payment accepted", 4000),
        Document(5, "auth", "WARN", "Password retry limit near", 5000),
    });
  }

  test_support::TempDirectory folder_{"search_contract"};
  std::unique_ptr<SearchStore> store_;
};

TEST_P(SearchStoreContractTest, ReturnsNewestFirstWithAnExactTotal) {
  WriteSample();
  const auto page = store_->Search(SearchQuery{});
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->total, 5u);
  ASSERT_EQ(page->hits.size(), 5u);
  EXPECT_NE(page->hits.front().json.find(R"("n":5)"), std::string::npos);
  EXPECT_NE(page->hits.back().json.find(R"("n":1)"), std::string::npos);
  EXPECT_EQ(page->hits.front().id, "app-logs-0-5");
  EXPECT_EQ(page->hits.back().id, "app-logs-0-1");
  EXPECT_TRUE(page->next_cursor.empty());
}

TEST_P(SearchStoreContractTest, WritingTheSameIdAgainOverwrites) {
  WriteSample();
  WriteOrFail({Document(2, "web", "ERROR", "Payment declined again", 2000)});
  const auto page = store_->Search(SearchQuery{.text = "declined"});
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->total, 2u);
  EXPECT_EQ(Hits(SearchQuery{.text = "again"}).size(), 1u);
  EXPECT_TRUE(Hits(SearchQuery{.text = "for"}).empty());  // Only the old text had it.
  EXPECT_EQ(store_->Search(SearchQuery{})->total, 5u);

  // The same id twice in one batch: the later one wins.
  WriteOrFail({Document(6, "web", "INFO", "first version", 6000),
               Document(6, "web", "WARN", "second version", 6000)});
  EXPECT_TRUE(Hits(SearchQuery{.text = "first"}).empty());
  const auto second = Hits(SearchQuery{.text = "version"});
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].find("second version"), std::string::npos);
  EXPECT_EQ(Hits(SearchQuery{.level = "WARN"}).size(), 2u);
}

TEST_P(SearchStoreContractTest, FiltersByServiceLevelAndTime) {
  WriteSample();
  EXPECT_EQ(Hits(SearchQuery{.service = "payments"}).size(), 2u);
  EXPECT_EQ(Hits(SearchQuery{.level = "ERROR"}).size(), 2u);
  EXPECT_EQ(Hits(SearchQuery{.service = "web", .level = "ERROR"}).size(), 1u);
  EXPECT_EQ(Hits(SearchQuery{.from_ms = 2000, .to_ms = 4000}).size(), 2u);
}

TEST_P(SearchStoreContractTest, SearchesFullTextWithWordsPhrasesOperatorsAndPrefixes) {
  WriteSample();
  EXPECT_EQ(Hits(SearchQuery{.text = "declined"}).size(), 2u);
  EXPECT_EQ(Hits(SearchQuery{.text = "\"card declined\""}).size(), 1u);
  EXPECT_EQ(Hits(SearchQuery{.text = "payment AND declined"}).size(), 1u);
  EXPECT_EQ(Hits(SearchQuery{.text = "accepted OR logged"}).size(), 2u);
  EXPECT_EQ(Hits(SearchQuery{.text = "declined NOT card"}).size(), 1u);
  EXPECT_EQ(Hits(SearchQuery{.text = "pass*"}).size(), 1u);
  EXPECT_EQ(Hits(SearchQuery{.text = "declined", .service = "web"}).size(), 1u);
}

TEST_P(SearchStoreContractTest, RefusesABadQueryAsPermanent) {
  WriteSample();
  const auto page = store_->Search(SearchQuery{.text = "\"unbalanced"});
  ASSERT_FALSE(page.has_value());
  EXPECT_EQ(page.error().error_class, ErrorClass::kPermanent);
  EXPECT_FALSE(store_->Search(SearchQuery{.cursor = "not-a-cursor"}).has_value());
}

TEST_P(SearchStoreContractTest, PagesThroughEveryMatchOnceWithCursors) {
  std::vector<SearchDocument> documents;
  for (int i = 0; i < 57; ++i) {
    // Several documents share a timestamp: the cursor must still not skip or repeat any.
    documents.push_back(
        Document(i, "web", "INFO", "event number " + std::to_string(i), 1000 + i / 4));
  }
  WriteOrFail(documents);
  std::set<std::string> seen;
  SearchQuery query{.limit = 10};
  int pages = 0;
  do {
    const auto page = store_->Search(query);
    ASSERT_TRUE(page.has_value()) << page.error().message;
    EXPECT_EQ(page->total, 57u);
    for (const auto& hit : page->hits) EXPECT_TRUE(seen.insert(hit.json).second) << hit.json;
    query.cursor = page->next_cursor;
    ++pages;
  } while (!query.cursor.empty() && pages < 20);
  EXPECT_EQ(seen.size(), 57u);
  EXPECT_EQ(pages, 6);
}

TEST_P(SearchStoreContractTest, CountsPerIntervalAndLevel) {
  WriteSample();
  const auto buckets = store_->Histogram(SearchQuery{}, 2000);
  ASSERT_TRUE(buckets.has_value()) << buckets.error().message;
  std::vector<std::tuple<int64_t, std::string, uint64_t>> got;
  for (const auto& bucket : *buckets) got.emplace_back(bucket.start_ms, bucket.level, bucket.count);
  const std::vector<std::tuple<int64_t, std::string, uint64_t>> expected{
      {0, "INFO", 1}, {2000, "ERROR", 2}, {4000, "INFO", 1}, {4000, "WARN", 1}};
  EXPECT_EQ(got, expected);
}

TEST_P(SearchStoreContractTest, RetentionCountsFromArrivalNotFromTheEventsTimestamp) {
  // Dated in 1970, written now: a cut-off an hour ago deletes none of them.
  WriteSample();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const auto deleted = store_->DeleteArrivedBefore(now_ms - 3'600'000);
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  EXPECT_EQ(*deleted, 0u);
  EXPECT_EQ(store_->Search(SearchQuery{})->total, 5u);
  EXPECT_EQ(Hits(SearchQuery{.text = "logged"}).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Implementations, SearchStoreContractTest, testing::ValuesIn(Factories()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lp::search
