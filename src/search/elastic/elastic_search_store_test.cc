// What the real node cannot be made to do on demand: items answered 429 or 503, failover to a
// second host, authentication headers, bulk splitting. A small HTTP server plays the cluster,
// answering the bootstrap as OpenSearch without ISM does and `_bulk` as each test scripts it.
#include "search/elastic/elastic_search_store.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "core/decompress.h"
#include "core/metrics.h"
#include "http/server.h"

namespace lp::search::elastic {
namespace {

using namespace std::chrono_literals;

/// A scripted `_bulk` answer: an HTTP status per document of the request, in order.
using ItemStatuses = std::vector<int>;

class FakeCluster {
 public:
  FakeCluster()
      : registry_(), http_metrics_(registry_), server_(Options(), Routes(), http_metrics_) {
    EXPECT_TRUE(server_.Start().has_value());
  }
  ~FakeCluster() { server_.Stop(1s); }

  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_.port());
  }
  void Script(std::deque<ItemStatuses> answers) {
    std::lock_guard lock(mutex_);
    answers_ = std::move(answers);
  }
  /// The documents' ids of every `_bulk` received, and how they came.
  struct Received {
    std::vector<std::string> ids;
    std::string content_encoding;
    std::string authorization;
  };
  std::vector<Received> bulks() {
    std::lock_guard lock(mutex_);
    return bulks_;
  }
  std::string root_authorization() {
    std::lock_guard lock(mutex_);
    return root_authorization_;
  }
  unsigned root_status = 200;

 private:
  static http::ServerOptions Options() { return {.name = "fake-cluster", .threads = 1}; }

  std::vector<http::Route> Routes() {
    const auto ok = [](std::string body) {
      return [body](http::Request&, http::Responder respond) {
        respond(http::JsonResponse(200, body));
      };
    };
    return {
        http::Route{"GET", "/",
                    [this](http::Request& request, http::Responder respond) {
                      {
                        std::lock_guard lock(mutex_);
                        root_authorization_ = request.authorization;
                      }
                      respond(http::JsonResponse(
                          root_status,
                          R"({"version":{"distribution":"opensearch","number":"2.19.6"}})"));
                    }},
        http::Route{"GET", "/_plugins/_ism/policies/logpipe-logs",
                    [](http::Request&, http::Responder respond) {
                      respond(http::JsonResponse(
                          400, R"({"error":"no handler found for uri [/_plugins/_ism]"})"));
                    }},
        http::Route{"PUT", "/_index_template/logpipe-logs", ok(R"({"acknowledged":true})")},
        http::Route{"HEAD", "/_alias/log-write", ok("")},
        http::Route{"POST", "/_bulk",
                    [this](http::Request& request, http::Responder respond) {
                      respond(http::JsonResponse(200, Bulk(request)));
                    }},
    };
  }

  std::string Bulk(http::Request& request) {
    std::string body = request.body;
    if (request.content_encoding == "gzip") {
      body.clear();
      EXPECT_TRUE(Decompress(ContentEncoding::kGzip, request.body, 1 << 26, 0, body).has_value());
    }
    Received received{{}, request.content_encoding, request.authorization};
    for (size_t at = body.find(R"("_id":")"); at != std::string::npos;
         at = body.find(R"("_id":")", at + 1)) {
      const size_t start = at + 7;
      received.ids.push_back(body.substr(start, body.find('"', start) - start));
    }
    std::lock_guard lock(mutex_);
    ItemStatuses statuses(received.ids.size(), 201);
    if (!answers_.empty()) {
      statuses = answers_.front();
      answers_.pop_front();
    }
    EXPECT_EQ(statuses.size(), received.ids.size());
    std::string answer = R"({"took":1,"errors":true,"items":[)";
    for (size_t i = 0; i < statuses.size(); ++i) {
      answer += (i > 0 ? "," : "") + std::string(R"({"index":{"_id":")") + received.ids[i] +
                R"(","status":)" + std::to_string(statuses[i]);
      if (statuses[i] >= 300) {
        answer +=
            statuses[i] == 400
                ? R"(,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [attempts] of type [long]"})"
                : R"(,"error":{"type":"es_rejected_execution_exception","reason":"queue full"})";
      }
      answer += "}}";
    }
    bulks_.push_back(std::move(received));
    return answer + "]}";
  }

  metrics::Registry registry_;
  http::HttpMetrics http_metrics_;
  std::mutex mutex_;
  std::deque<ItemStatuses> answers_;
  std::vector<Received> bulks_;
  std::string root_authorization_;
  http::Server server_;
};

std::vector<SearchDocument> Documents(int count, size_t message_bytes = 10) {
  std::vector<SearchDocument> documents;
  for (int i = 0; i < count; ++i) {
    documents.push_back(
        SearchDocument{.id = "app-logs-0-" + std::to_string(i),
                       .json = R"({"message":")" + std::string(message_bytes, 'x') + "\"}"});
  }
  return documents;
}

std::unique_ptr<ElasticSearchStore> OpenOrFail(ElasticStoreOptions options) {
  options.item_retry.initial_backoff = 1ms;
  auto store = ElasticSearchStore::Open(std::move(options));
  EXPECT_TRUE(store.has_value()) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

TEST(ElasticSearchStoreTest, RetriesOnlyTheItemsAnswered429Or5xx) {
  FakeCluster cluster;
  cluster.Script({{201, 429, 201, 503}, {201, 201}});
  auto store = OpenOrFail({.client = {.hosts = {cluster.url()}, .gzip_from_bytes = 0}});
  ASSERT_TRUE(store);
  const auto outcomes = store->Write(Documents(4));
  ASSERT_TRUE(outcomes.has_value()) << outcomes.error().message;
  for (const auto& outcome : *outcomes) EXPECT_TRUE(outcome.accepted) << outcome.error;
  const auto bulks = cluster.bulks();
  ASSERT_EQ(bulks.size(), 2u);
  EXPECT_EQ(bulks[1].ids, (std::vector<std::string>{"app-logs-0-1", "app-logs-0-3"}));
  EXPECT_EQ(bulks[0].content_encoding, "gzip");
}

TEST(ElasticSearchStoreTest, ReturnsAMappingRejectionAsTheDocumentsOutcomeWithoutRetrying) {
  FakeCluster cluster;
  cluster.Script({{201, 400, 201}});
  auto store = OpenOrFail({.client = {.hosts = {cluster.url()}}});
  ASSERT_TRUE(store);
  const auto outcomes = store->Write(Documents(3));
  ASSERT_TRUE(outcomes.has_value());
  EXPECT_TRUE((*outcomes)[0].accepted);
  EXPECT_FALSE((*outcomes)[1].accepted);
  EXPECT_EQ((*outcomes)[1].error,
            "HTTP 400 mapper_parsing_exception: failed to parse field [attempts] of type [long]");
  EXPECT_TRUE((*outcomes)[2].accepted);
  EXPECT_EQ(cluster.bulks().size(), 1u);
}

TEST(ElasticSearchStoreTest, AnItemRefusedForLoadEveryTimeMakesTheBatchRetryableNotRejected) {
  FakeCluster cluster;
  cluster.Script({{201, 429}, {429}, {429}});
  auto store =
      OpenOrFail({.client = {.hosts = {cluster.url()}}, .item_retry = {.max_attempts = 3}});
  ASSERT_TRUE(store);
  const auto outcomes = store->Write(Documents(2));
  ASSERT_FALSE(outcomes.has_value());
  EXPECT_TRUE(outcomes.error().retryable()) << outcomes.error().message;
}

TEST(ElasticSearchStoreTest, FailsOverToTheNextHost) {
  FakeCluster cluster;
  // A loopback port with nothing behind it: connection refused.
  auto store = OpenOrFail({.client = {.hosts = {"http://127.0.0.1:9", cluster.url()}}});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Write(Documents(2)).has_value());
  EXPECT_EQ(cluster.bulks().size(), 1u);
}

TEST(ElasticSearchStoreTest, SplitsABatchIntoBulksOfAtMostTheConfiguredBytes) {
  FakeCluster cluster;
  auto store = OpenOrFail({.client = {.hosts = {cluster.url()}}, .max_bulk_bytes = 2500});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Write(Documents(10, 1000)).has_value());
  const auto bulks = cluster.bulks();
  ASSERT_EQ(bulks.size(), 5u);  // Two documents of ~1.1 KB per request.
  size_t documents = 0;
  for (const auto& bulk : bulks) documents += bulk.ids.size();
  EXPECT_EQ(documents, 10u);
}

TEST(ElasticSearchStoreTest, SendsAnApiKeyOrBasicCredentials) {
  FakeCluster cluster;
  ASSERT_TRUE(OpenOrFail({.client = {.hosts = {cluster.url()}, .api_key = "a2V5"}}));
  EXPECT_EQ(cluster.root_authorization(), "ApiKey a2V5");
  ASSERT_TRUE(OpenOrFail(
      {.client = {.hosts = {cluster.url()}, .username = "logpipe", .password = "secret"}}));
  EXPECT_EQ(cluster.root_authorization(), "Basic bG9ncGlwZTpzZWNyZXQ=");
}

TEST(ElasticSearchStoreTest, RefusedCredentialsNameTheSettingsToCheck) {
  FakeCluster cluster;
  cluster.root_status = 401;
  auto store = ElasticSearchStore::Open({.client = {.hosts = {cluster.url()}}});
  ASSERT_FALSE(store.has_value());
  EXPECT_FALSE(store.error().retryable());
  EXPECT_NE(store.error().message.find("ES_USERNAME"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace lp::search::elastic
