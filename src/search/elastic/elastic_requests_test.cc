// The request bodies for Elasticsearch 8 and OpenSearch 2, pinned by golden files (golden/):
// Elasticsearch cannot run here, so its shapes were checked against its documentation once and
// must not drift unnoticed. A mismatch leaves the body built in <golden>.actual to diff.
#include "search/elastic/elastic_requests.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace lp::search::elastic {
namespace {

const std::filesystem::path kGolden =
    std::filesystem::path(LOGPIPE_SOURCE_DIR) / "src" / "search" / "elastic" / "golden";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Minified(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root) != simdjson::SUCCESS) return "not JSON: " + json;
  return simdjson::minify(root);
}

void ExpectGoldenJson(const std::string& name, const std::string& body) {
  const auto path = kGolden / name;
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const bool same = Minified(ReadFile(path)) == Minified(body);
  if (!same) std::ofstream(path.string() + ".actual") << body;
  EXPECT_TRUE(same) << name << " differs; built:\n" << body;
}

const ClusterInfo kElasticsearch8{Distribution::kElasticsearch, 8, 19, "8.19.0"};
const ClusterInfo kOpenSearch219{Distribution::kOpenSearch, 2, 19, "2.19.6"};

TEST(ElasticRequestsTest, IndexTemplateForElasticsearch8) {
  ExpectGoldenJson(
      "index_template_elasticsearch_8.json",
      IndexTemplateBody(
          kElasticsearch8,
          {.index_prefix = "logs", .alias = "log-write", .replicas = 1, .policy = "logpipe-logs"}));
}

TEST(ElasticRequestsTest, IndexTemplateForOpenSearchWithIsm) {
  ExpectGoldenJson(
      "index_template_opensearch_2.json",
      IndexTemplateBody(
          kOpenSearch219,
          {.index_prefix = "logs", .alias = "log-write", .replicas = 0, .policy = "logpipe-logs"}));
}

TEST(ElasticRequestsTest, PayloadIsNotIndexedOnOpenSearchWithoutFlatObject) {
  const auto body = IndexTemplateBody({Distribution::kOpenSearch, 2, 6, "2.6.0"}, {});
  EXPECT_NE(body.find(R"("payload":{"type":"object","enabled":false})"), std::string::npos);
}

TEST(ElasticRequestsTest, LifecyclePolicies) {
  ExpectGoldenJson("ilm_policy.json", IlmPolicyBody(30));
  ExpectGoldenJson("ism_policy.json", IsmPolicyBody(30, "logs"));
  ExpectGoldenJson("first_index.json", FirstIndexBody("log-write"));
}

SearchQuery Parsed(std::string_view q) {
  auto node = ParseQuery(q);
  EXPECT_TRUE(node.has_value()) << node.error().message;
  return SearchQuery{.filter = node ? *node : QueryNode{}};
}

TEST(ElasticRequestsTest, SearchWithFiltersTextAndCursor) {
  auto query = Parsed(R"(("card declined" OR pay*) NOT req-42 service:payments level:ERROR)");
  query.from_ms = 1'700'000'000'000;
  query.to_ms = 1'700'000'600'000;
  query.limit = 50;
  query.after = Position{1'700'000'300'000, "app-logs-3-17"};
  const auto body = SearchBody(query);
  ASSERT_TRUE(body.has_value()) << body.error().message;
  ExpectGoldenJson("search.json", *body);
  EXPECT_FALSE(SearchBody(SearchQuery{.limit = 0}).has_value());
}

TEST(ElasticRequestsTest, OldestFirstWithExactTotals) {
  const auto body = SearchBody(SearchQuery{.order = SortOrder::kOldestFirst,
                                           .after = Position{1000, "app-logs-0-1"},
                                           .limit = 10,
                                           .total_limit = std::nullopt});
  ASSERT_TRUE(body.has_value());
  ExpectGoldenJson("search_oldest_first.json", *body);
}

TEST(ElasticRequestsTest, EveryOperatorOnEveryFieldClass) {
  const auto body =
      SearchBody(Parsed("service:web host:app* labels.env:\"prod eu\" -geo.country_iso_code:US "
                        "payload.user_id:u-1 payload.status:500 payload.http.method:PO* "
                        "(payload.status>=500 OR payload.duration_ms:{100 TO 500]) "
                        "timestamp:[2025-10-30T00:00:00Z TO *] payload.ratio:[* TO *]"));
  ASSERT_TRUE(body.has_value());
  ExpectGoldenJson("search_operators.json", *body);
}

TEST(ElasticRequestsTest, Histogram) {
  const auto body = HistogramBody(Parsed("service:web"), {.interval_ms = 60'000});
  ASSERT_TRUE(body.has_value());
  ExpectGoldenJson("histogram.json", *body);
  const auto by_host =
      HistogramBody(Parsed("level:ERROR"), {.interval_ms = 60'000, .by = "host", .groups = 5});
  ASSERT_TRUE(by_host.has_value());
  ExpectGoldenJson("histogram_by_host.json", *by_host);
  EXPECT_FALSE(HistogramBody(SearchQuery{}, {.interval_ms = 0}).has_value());
  EXPECT_FALSE(HistogramBody(SearchQuery{}, {.by = "message"}).has_value());
}

TEST(ElasticRequestsTest, Facets) {
  const auto body = FacetBody(Parsed("payload.status>=500"), "host", 10);
  ASSERT_TRUE(body.has_value());
  ExpectGoldenJson("facets.json", *body);
  EXPECT_FALSE(FacetBody(SearchQuery{}, "timestamp", 10).has_value());
  EXPECT_FALSE(FacetBody(SearchQuery{}, "host", 0).has_value());
}

TEST(ElasticRequestsTest, BulkIndexesEachDocumentUnderItsIdThroughTheAlias) {
  std::string body;
  AppendBulkIndex(
      body, "log-write",
      SearchDocument{.id = "app-logs-0-7",
                     .json = R"({"timestamp":"2025-10-30T12:34:56.789Z","message":"a"})"});
  AppendBulkIndex(body, "log-write", SearchDocument{.id = "a\"b", .json = "{}"});
  EXPECT_EQ(body, ReadFile(kGolden / "bulk.ndjson"));
}

TEST(ElasticRequestsTest, PayloadNumbersAreCopiedUnderTheirFlatPaths) {
  std::string body;
  AppendBulkIndex(body, "log-write",
                  SearchDocument{.id = "app-logs-0-8",
                                 .json = R"({"message":"a","payload":{"status":500,"user":"u",)"
                                         R"("http":{"ms":1.5,"ok":true},"list":[1]}})"});
  EXPECT_EQ(body,
            "{\"index\":{\"_index\":\"log-write\",\"_id\":\"app-logs-0-8\"}}\n"
            R"({"event_id":"app-logs-0-8","payload_numbers":{"status":500,"http/ms":1.5},)"
            R"("payload_values":{"status":"500","user":"u","http/ms":"1.5","http/ok":"true"},)"
            R"("message":"a","payload":{"status":500,"user":"u","http":{"ms":1.5,"ok":true},)"
            R"("list":[1]}})"
            "\n");
  EXPECT_EQ(NumberField("payload.http.ms"), "payload_numbers.http/ms");
  EXPECT_EQ(AggregationField("payload.http.ms"), "payload_values.http/ms");
  EXPECT_EQ(AggregationField("labels.env"), "labels.env");
}

TEST(ElasticRequestsTest, ReadsTheDistributionAndVersion) {
  const auto opensearch = ParseClusterInfo(
      R"({"version":{"distribution":"opensearch","number":"2.19.6"},"tagline":"x"})");
  ASSERT_TRUE(opensearch.has_value());
  EXPECT_EQ(opensearch->distribution, Distribution::kOpenSearch);
  EXPECT_EQ(opensearch->major, 2);
  EXPECT_EQ(opensearch->minor, 19);
  const auto elasticsearch =
      ParseClusterInfo(R"({"version":{"number":"8.19.2","build_flavor":"default"}})");
  ASSERT_TRUE(elasticsearch.has_value());
  EXPECT_EQ(elasticsearch->distribution, Distribution::kElasticsearch);
  EXPECT_EQ(elasticsearch->major, 8);
  EXPECT_FALSE(ParseClusterInfo("<html>").has_value());
}

}  // namespace
}  // namespace lp::search::elastic
