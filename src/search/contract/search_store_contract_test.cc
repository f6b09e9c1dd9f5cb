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
  Result<SearchHit> Get(std::string_view id) override { return store_->Get(id); }
  Result<std::vector<HistogramBucket>> Histogram(const SearchQuery& query,
                                                 const HistogramRequest& request) override {
    return store_->Histogram(query, request);
  }
  Result<Facets> Facet(const SearchQuery& query, std::string_view field, size_t size) override {
    return store_->Facet(query, field, size);
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
                        int64_t timestamp_ms, std::string_view extra = {}) {
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
                   R"(","message":")" + document.message + "\"";
  if (!extra.empty()) document.json += "," + std::string(extra);
  document.json += "}";
  return document;
}

// The query language's text as the API passes it to stores.
SearchQuery Q(std::string_view q) {
  auto parsed = ParseQuery(q);
  EXPECT_TRUE(parsed.has_value()) << q << ": " << parsed.error().message;
  return SearchQuery{.filter = parsed ? std::move(*parsed) : QueryNode{}};
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
  EXPECT_FALSE(page->next.has_value());
}

TEST_P(SearchStoreContractTest, WritingTheSameIdAgainOverwrites) {
  WriteSample();
  WriteOrFail({Document(2, "web", "ERROR", "Payment declined again", 2000)});
  const auto page = store_->Search(Q("declined"));
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->total, 2u);
  EXPECT_EQ(Hits(Q("again")).size(), 1u);
  EXPECT_TRUE(Hits(Q("for")).empty());  // Only the old text had it.
  EXPECT_EQ(store_->Search(SearchQuery{})->total, 5u);

  // The same id twice in one batch: the later one wins.
  WriteOrFail({Document(6, "web", "INFO", "first version", 6000),
               Document(6, "web", "WARN", "second version", 6000)});
  EXPECT_TRUE(Hits(Q("first")).empty());
  const auto second = Hits(Q("version"));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].find("second version"), std::string::npos);
  EXPECT_EQ(Hits(Q("level:WARN")).size(), 2u);
}

TEST_P(SearchStoreContractTest, FiltersByServiceLevelAndTime) {
  WriteSample();
  EXPECT_EQ(Hits(Q("service:payments")).size(), 2u);
  EXPECT_EQ(Hits(Q("level:ERROR")).size(), 2u);
  EXPECT_EQ(Hits(Q("service:web level:ERROR")).size(), 1u);
  EXPECT_EQ(Hits(SearchQuery{.from_ms = 2000, .to_ms = 4000}).size(), 2u);
}

TEST_P(SearchStoreContractTest, SearchesFullTextWithWordsPhrasesOperatorsAndPrefixes) {
  WriteSample();
  EXPECT_EQ(Hits(Q("declined")).size(), 2u);
  EXPECT_EQ(Hits(Q("\"card declined\"")).size(), 1u);
  EXPECT_EQ(Hits(Q("payment AND declined")).size(), 1u);
  EXPECT_EQ(Hits(Q("accepted OR logged")).size(), 2u);
  EXPECT_EQ(Hits(Q("declined NOT card")).size(), 1u);
  EXPECT_EQ(Hits(Q("pass*")).size(), 1u);
  EXPECT_EQ(Hits(Q("declined service:web")).size(), 1u);
}

TEST_P(SearchStoreContractTest, ATenantFilterSeesOnlyItsTenantsEvents) {
  // The search API ANDs tenant:"<t>" into every query of a scoped token (DESIGN §3).
  WriteOrFail({Document(1, "web", "INFO", "acme event", 1000, R"("tenant":"acme")"),
               Document(2, "web", "INFO", "globex event", 2000, R"("tenant":"globex")"),
               Document(3, "web", "INFO", "event of no tenant", 3000)});
  const auto acme = Hits(Q("tenant:acme"));
  ASSERT_EQ(acme.size(), 1u);
  EXPECT_NE(acme[0].find("acme event"), std::string::npos);
  EXPECT_NE(acme[0].find(R"("tenant":"acme")"), std::string::npos);
  EXPECT_EQ(Hits(Q("event tenant:globex")).size(), 1u);
  EXPECT_TRUE(Hits(Q("acme tenant:globex")).empty());
  EXPECT_TRUE(Hits(Q("tenant:initech")).empty());
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
    query.after = page->next;
    ++pages;
  } while (query.after && pages < 20);
  EXPECT_EQ(seen.size(), 57u);
  EXPECT_EQ(pages, 6);
}

TEST_P(SearchStoreContractTest, CountsPerIntervalAndLevel) {
  WriteSample();
  const auto buckets = store_->Histogram(SearchQuery{}, {.interval_ms = 2000});
  ASSERT_TRUE(buckets.has_value()) << buckets.error().message;
  std::vector<std::tuple<int64_t, std::string, uint64_t>> got;
  for (const auto& bucket : *buckets) got.emplace_back(bucket.start_ms, bucket.value, bucket.count);
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
  EXPECT_EQ(Hits(Q("logged")).size(), 1u);
}

// Events with every field class: keywords, labels, geo, payload numbers, strings and booleans.
class QueryLanguageContractTest : public SearchStoreContractTest {
 protected:
  void SetUp() override {
    SearchStoreContractTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    WriteOrFail({
        Document(1, "web", "INFO", "User logged in successfully", 1000,
                 R"("host":"app-1","trace_id":"trace-abc","request_id":"req-1",)"
                 R"("labels":{"env":"production","region":"eu-west-1"},)"
                 R"("payload":{"status":200,"duration_ms":12,"user_id":"user-9876","ok":true},)"
                 R"("geo":{"country_iso_code":"US","city_name":"Mountain View"})"),
        Document(2, "web", "ERROR", "Payment declined for user", 2000,
                 R"("host":"app-2","trace_id":"trace-abd","request_id":"req-2",)"
                 R"("labels":{"env":"staging"},)"
                 R"("payload":{"status":502,"duration_ms":250.5,"user_id":"user-1"},)"
                 R"("geo":{"country_iso_code":"DE","city_name":"Berlin"})"),
        Document(3, "payments", "ERROR", "Card declined by issuer", 3000,
                 R"("host":"pay-1","labels":{"env":"production"},)"
                 R"("payload":{"status":500,"duration_ms":480,"http":{"method":"POST"}},)"
                 R"("geo":{"country_iso_code":"US","city_name":"New York"})"),
        Document(4, "payments", "INFO", "Payment accepted", 4000,
                 R"("host":"pay-1","payload":{"status":"500","duration_ms":100})"),
        Document(5, "auth", "WARN", "Password retry limit near", 5000, R"("host":"auth-1")"),
    });
  }

  // The numbers (`"n":N`) of the documents matching q, ascending.
  std::vector<int> Matching(std::string_view q) {
    auto query = Q(q);
    query.order = SortOrder::kOldestFirst;
    std::vector<int> numbers;
    for (const auto& json : Hits(std::move(query))) {
      numbers.push_back(std::stoi(json.substr(json.find(R"("n":)") + 4)));
    }
    return numbers;
  }
};

using Numbers = std::vector<int>;

TEST_P(QueryLanguageContractTest, MatchesKeywordFieldsWholeOrByPrefix) {
  EXPECT_EQ(Matching("service:web"), (Numbers{1, 2}));
  EXPECT_EQ(Matching("service:pay*"), (Numbers{3, 4}));
  EXPECT_EQ(Matching("service:\"payments\""), (Numbers{3, 4}));
  EXPECT_EQ(Matching("service:pay"), Numbers{});        // Whole values, not words.
  EXPECT_EQ(Matching("level:error"), (Numbers{2, 3}));  // Levels are normalized.
  EXPECT_EQ(Matching("level:warning"), Numbers{5});
  EXPECT_EQ(Matching("host:pay-1"), (Numbers{3, 4}));
  EXPECT_EQ(Matching("host:app*"), (Numbers{1, 2}));
  EXPECT_EQ(Matching("trace_id:trace-abc"), Numbers{1});
  EXPECT_EQ(Matching("trace_id:trace-ab*"), (Numbers{1, 2}));
  EXPECT_EQ(Matching("request_id:req-2"), Numbers{2});
  EXPECT_EQ(Matching("labels.env:production"), (Numbers{1, 3}));
  EXPECT_EQ(Matching("labels.env:stag*"), Numbers{2});
  EXPECT_EQ(Matching("labels.region:\"eu-west-1\""), Numbers{1});
  EXPECT_EQ(Matching("geo.country_iso_code:US"), (Numbers{1, 3}));
  EXPECT_EQ(Matching("geo.city_name:\"New York\""), Numbers{3});
  EXPECT_EQ(Matching("geo.city_name:Mountain*"), Numbers{1});
  EXPECT_EQ(Matching("geo.city_name:york"), Numbers{});
}

TEST_P(QueryLanguageContractTest, MatchesTheMessageByWordsPhrasesAndPrefixes) {
  EXPECT_EQ(Matching("declined"), (Numbers{2, 3}));
  EXPECT_EQ(Matching("DECLINED"), (Numbers{2, 3}));
  EXPECT_EQ(Matching("message:declined"), (Numbers{2, 3}));
  EXPECT_EQ(Matching("\"declined by\""), Numbers{3});
  EXPECT_EQ(Matching("message:\"payment accepted\""), Numbers{4});
  EXPECT_EQ(Matching("pay*"), (Numbers{2, 4}));
  EXPECT_EQ(Matching("message:retr*"), Numbers{5});
}

TEST_P(QueryLanguageContractTest, MatchesPayloadStringsNumbersAndBooleans) {
  EXPECT_EQ(Matching("payload.status:500"), (Numbers{3, 4}));  // The number and the string.
  EXPECT_EQ(Matching("payload.status:500.0"), Numbers{3});
  EXPECT_EQ(Matching("payload.status:502"), Numbers{2});
  EXPECT_EQ(Matching("payload.duration_ms:250.5"), Numbers{2});
  EXPECT_EQ(Matching("payload.user_id:user-9876"), Numbers{1});
  EXPECT_EQ(Matching("payload.user_id:\"user-1\""), Numbers{2});
  EXPECT_EQ(Matching("payload.user_id:user*"), (Numbers{1, 2}));
  EXPECT_EQ(Matching("payload.http.method:POST"), Numbers{3});
  EXPECT_EQ(Matching("payload.ok:true"), Numbers{1});
  EXPECT_EQ(Matching("payload.missing:1"), Numbers{});
}

TEST_P(QueryLanguageContractTest, ComparesPayloadNumbers) {
  EXPECT_EQ(Matching("payload.status>=500"), (Numbers{2, 3}));  // Not the string "500".
  EXPECT_EQ(Matching("payload.status>500"), Numbers{2});
  EXPECT_EQ(Matching("payload.status<500"), Numbers{1});
  EXPECT_EQ(Matching("payload.status<=500"), (Numbers{1, 3}));
  EXPECT_EQ(Matching("payload.duration_ms:[100 TO 300]"), (Numbers{2, 4}));
  EXPECT_EQ(Matching("payload.duration_ms:{100 TO 300]"), Numbers{2});
  EXPECT_EQ(Matching("payload.duration_ms:[* TO 12]"), Numbers{1});
  EXPECT_EQ(Matching("payload.duration_ms:[12 TO 100}"), Numbers{1});
  EXPECT_EQ(Matching("payload.duration_ms:[480 TO *]"), Numbers{3});
  EXPECT_EQ(Matching("payload.duration_ms:[481 TO *]"), Numbers{});
  EXPECT_EQ(Matching("payload.status:[* TO *]"), (Numbers{1, 2, 3}));
}

TEST_P(QueryLanguageContractTest, ComparesTimestamps) {
  EXPECT_EQ(Matching("timestamp>=1970-01-01T00:00:03Z"), (Numbers{3, 4, 5}));
  EXPECT_EQ(Matching("timestamp>1970-01-01T00:00:03Z"), (Numbers{4, 5}));
  EXPECT_EQ(Matching("timestamp<1970-01-01T00:00:02Z"), Numbers{1});
  EXPECT_EQ(Matching("timestamp:[1970-01-01T00:00:02Z TO 1970-01-01T00:00:04Z}"), (Numbers{2, 3}));
  EXPECT_EQ(Matching("timestamp:[1970-01-01T00:00:02.000+00:00 TO 1970-01-01T00:00:04Z]"),
            (Numbers{2, 3, 4}));
}

TEST_P(QueryLanguageContractTest, CombinesWithAndOrNotMinusAndParentheses) {
  EXPECT_EQ(Matching("service:web AND level:ERROR"), Numbers{2});
  EXPECT_EQ(Matching("service:web level:ERROR"), Numbers{2});
  EXPECT_EQ(Matching("service:web OR service:auth"), (Numbers{1, 2, 5}));
  EXPECT_EQ(Matching("NOT service:web"), (Numbers{3, 4, 5}));
  EXPECT_EQ(Matching("-service:web"), (Numbers{3, 4, 5}));
  EXPECT_EQ(Matching("service:payments -level:INFO"), Numbers{3});
  EXPECT_EQ(Matching("(service:web OR service:auth) level:WARN"), Numbers{5});
  EXPECT_EQ(Matching("service:web OR service:auth level:WARN"), (Numbers{1, 2, 5}));
  // Documents without the field match its negation.
  EXPECT_EQ(Matching("NOT payload.status>=500"), (Numbers{1, 4, 5}));
  EXPECT_EQ(Matching("-labels.env:production"), (Numbers{2, 4, 5}));
  EXPECT_EQ(Matching("declined AND NOT labels.env:staging"), Numbers{3});
  EXPECT_EQ(Matching("(declined OR accepted) -(host:pay-1 payload.status:500)"), Numbers{2});
  EXPECT_EQ(Matching(""), (Numbers{1, 2, 3, 4, 5}));
}

TEST_P(QueryLanguageContractTest, CountsExactlyUpToTheLimitThenSaysGreaterOrEqual) {
  auto query = Q("");
  query.total_limit = 3;
  query.limit = 2;
  auto page = store_->Search(query);
  ASSERT_TRUE(page.has_value()) << page.error().message;
  EXPECT_EQ(page->total, 3u);
  EXPECT_EQ(page->total_relation, TotalRelation::kGreaterEqual);
  EXPECT_EQ(page->hits.size(), 2u);
  query.total_limit = 5;
  page = store_->Search(query);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->total, 5u);
  EXPECT_EQ(page->total_relation, TotalRelation::kEqual);
  query.total_limit.reset();
  page = store_->Search(query);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->total, 5u);
  EXPECT_EQ(page->total_relation, TotalRelation::kEqual);
  // The default limit is 10,000.
  EXPECT_EQ(SearchQuery{}.total_limit, kDefaultTotalLimit);
}

TEST_P(QueryLanguageContractTest, SortsBothWaysAndContinuesAfterAPosition) {
  const auto ids = [&](SearchQuery query) {
    std::vector<std::string> out;
    const auto page = store_->Search(query);
    EXPECT_TRUE(page.has_value()) << page.error().message;
    if (page) {
      for (const auto& hit : page->hits) out.push_back(hit.id);
    }
    return out;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids(SearchQuery{.order = SortOrder::kOldestFirst, .limit = 2}),
            (Ids{"app-logs-0-1", "app-logs-0-2"}));
  EXPECT_EQ(
      ids(SearchQuery{.order = SortOrder::kOldestFirst, .after = Position{3000, "app-logs-0-3"}}),
      (Ids{"app-logs-0-4", "app-logs-0-5"}));
  EXPECT_EQ(ids(SearchQuery{.after = Position{3000, "app-logs-0-3"}}),
            (Ids{"app-logs-0-2", "app-logs-0-1"}));
  // Ties on time are ordered by id.
  WriteOrFail({Document(7, "web", "INFO", "tie", 3000), Document(8, "web", "INFO", "tie", 3000)});
  EXPECT_EQ(
      ids(SearchQuery{
          .order = SortOrder::kOldestFirst, .after = Position{3000, "app-logs-0-3"}, .limit = 3}),
      (Ids{"app-logs-0-7", "app-logs-0-8", "app-logs-0-4"}));
  const auto page = store_->Search(SearchQuery{.limit = 1});
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->hits.size(), 1u);
  EXPECT_EQ(page->hits[0].timestamp_ms, 5000);
  ASSERT_TRUE(page->next.has_value());
  EXPECT_EQ(*page->next, (Position{5000, "app-logs-0-5"}));
}

TEST_P(QueryLanguageContractTest, GetsOneDocumentById) {
  const auto hit = store_->Get("app-logs-0-3");
  ASSERT_TRUE(hit.has_value()) << hit.error().message;
  EXPECT_EQ(hit->id, "app-logs-0-3");
  EXPECT_EQ(hit->timestamp_ms, 3000);
  EXPECT_NE(hit->json.find("Card declined"), std::string::npos);
  EXPECT_EQ(hit->json.find("payload_numbers"), std::string::npos);
  const auto missing = store_->Get("app-logs-0-99");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().error_class, ErrorClass::kNotFound);
}

TEST_P(QueryLanguageContractTest, FacetsTopValuesWithCountsAndTheRest) {
  const auto facet = [&](std::string_view q, std::string_view field, size_t size) {
    std::vector<std::pair<std::string, uint64_t>> values;
    const auto facets = store_->Facet(Q(q), field, size);
    EXPECT_TRUE(facets.has_value()) << facets.error().message;
    if (!facets) return std::pair{values, uint64_t{0}};
    EXPECT_EQ(facets->relation, TotalRelation::kEqual);
    for (const auto& value : facets->values) values.emplace_back(value.value, value.count);
    return std::pair{values, facets->other};
  };
  using Values = std::vector<std::pair<std::string, uint64_t>>;
  // Ties on count: the smaller value first.
  EXPECT_EQ(facet("", "service", 2), std::pair(Values{{"payments", 2}, {"web", 2}}, uint64_t{1}));
  EXPECT_EQ(
      facet("", "host", 10),
      std::pair(Values{{"pay-1", 2}, {"app-1", 1}, {"app-2", 1}, {"auth-1", 1}}, uint64_t{0}));
  EXPECT_EQ(facet("declined", "level", 5), std::pair(Values{{"ERROR", 2}}, uint64_t{0}));
  // Documents without the field are neither values nor other.
  EXPECT_EQ(facet("", "labels.env", 1), std::pair(Values{{"production", 2}}, uint64_t{1}));
  EXPECT_EQ(facet("", "payload.status", 10),
            std::pair(Values{{"500", 2}, {"200", 1}, {"502", 1}}, uint64_t{0}));
  EXPECT_EQ(facet("service:web", "geo.country_iso_code", 10),
            std::pair(Values{{"DE", 1}, {"US", 1}}, uint64_t{0}));
  const auto refused = store_->Facet(SearchQuery{}, "message", 10);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().error_class, ErrorClass::kPermanent);
}

TEST_P(QueryLanguageContractTest, GroupsHistogramsByAnyField) {
  using Buckets = std::vector<std::tuple<int64_t, std::string, uint64_t>>;
  const auto histogram = [&](std::string_view q, HistogramRequest request) {
    Buckets got;
    const auto buckets = store_->Histogram(Q(q), request);
    EXPECT_TRUE(buckets.has_value()) << buckets.error().message;
    if (buckets) {
      for (const auto& b : *buckets) got.emplace_back(b.start_ms, b.value, b.count);
    }
    return got;
  };
  EXPECT_EQ(histogram("", {.interval_ms = 2000, .by = "service"}),
            (Buckets{{0, "web", 1},
                     {2000, "payments", 1},
                     {2000, "web", 1},
                     {4000, "auth", 1},
                     {4000, "payments", 1}}));
  // The top value of each bucket (ties: the smaller value).
  EXPECT_EQ(histogram("", {.interval_ms = 2000, .by = "service", .groups = 1}),
            (Buckets{{0, "web", 1}, {2000, "payments", 1}, {4000, "auth", 1}}));
  EXPECT_EQ(histogram("", {.interval_ms = 2000, .by = "labels.env"}),
            (Buckets{{0, "production", 1}, {2000, "production", 1}, {2000, "staging", 1}}));
  EXPECT_EQ(histogram("service:payments", {.interval_ms = 10'000, .by = "level"}),
            (Buckets{{0, "ERROR", 1}, {0, "INFO", 1}}));
  EXPECT_EQ(histogram("payload.status>=500", {.interval_ms = 10'000, .by = "host"}),
            (Buckets{{0, "app-2", 1}, {0, "pay-1", 1}}));
  const auto refused = store_->Histogram(SearchQuery{}, {.by = "timestamp"});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().error_class, ErrorClass::kPermanent);
}

TEST_P(QueryLanguageContractTest, StopsACancelledQuery) {
  Cancellation cancelled;
  cancelled.Cancel();
  auto query = Q("declined OR payload.status>=0");
  query.cancellation = &cancelled;
  const auto page = store_->Search(query);
  ASSERT_FALSE(page.has_value());
  EXPECT_TRUE(page.error().retryable()) << page.error().message;
  // An expired deadline is a cancellation too; a live one changes nothing.
  const Cancellation expired(std::chrono::steady_clock::now());
  query.cancellation = &expired;
  EXPECT_FALSE(store_->Facet(query, "service", 5).has_value());
  const Cancellation later(std::chrono::steady_clock::now() + std::chrono::minutes(1));
  query.cancellation = &later;
  const auto live = store_->Search(query);
  ASSERT_TRUE(live.has_value()) << live.error().message;
  EXPECT_EQ(live->total, 3u);
}

INSTANTIATE_TEST_SUITE_P(Implementations, QueryLanguageContractTest, testing::ValuesIn(Factories()),
                         [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(Implementations, SearchStoreContractTest, testing::ValuesIn(Factories()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lp::search
