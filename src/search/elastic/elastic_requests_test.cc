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

TEST(ElasticRequestsTest, SearchWithFiltersTextAndCursor) {
  const auto body = SearchBody(SearchQuery{.text = R"("card declined" OR pay* NOT req-42)",
                                           .service = "payments",
                                           .level = "ERROR",
                                           .from_ms = 1'700'000'000'000,
                                           .to_ms = 1'700'000'600'000,
                                           .limit = 50,
                                           .cursor = "1700000300000:app-logs-3-17"});
  ASSERT_TRUE(body.has_value()) << body.error().message;
  ExpectGoldenJson("search.json", *body);
  EXPECT_FALSE(SearchBody(SearchQuery{.cursor = "no-colon"}).has_value());
  EXPECT_FALSE(SearchBody(SearchQuery{.text = "\"unbalanced"}).has_value());
}

TEST(ElasticRequestsTest, Histogram) {
  const auto body = HistogramBody(SearchQuery{.service = "web"}, 60'000);
  ASSERT_TRUE(body.has_value());
  ExpectGoldenJson("histogram.json", *body);
  EXPECT_FALSE(HistogramBody(SearchQuery{}, 0).has_value());
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

TEST(ElasticRequestsTest, TextQueryKeepsFts5Precedence) {
  const auto tokens = ParseTextQuery(R"(a b OR (c NOT d) pre-fix*)");
  ASSERT_TRUE(tokens.has_value());
  const auto dsl = TextQueryDsl(*tokens);
  ASSERT_TRUE(dsl.has_value());
  // (a AND b) OR ((c NOT d) AND pre-fix*)
  EXPECT_EQ(Minified(*dsl),
            R"({"bool":{"should":[{"bool":{"must":[{"match_phrase":{"message":"a"}},)"
            R"({"match_phrase":{"message":"b"}}]}},{"bool":{"must":[{"bool":{"must":[)"
            R"({"match_phrase":{"message":"c"}}],"must_not":[{"match_phrase":{"message":"d"}}]}},)"
            R"({"match_phrase_prefix":{"message":{"query":"pre-fix","max_expansions":10000}}}]}}],)"
            R"("minimum_should_match":1}})");
  for (const char* bad : {"NOT a", "a AND", "(a", "a OR OR b"}) {
    const auto parsed = ParseTextQuery(bad);
    if (!parsed) continue;  // Refused already by the parser.
    EXPECT_FALSE(TextQueryDsl(*parsed).has_value()) << bad;
  }
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
