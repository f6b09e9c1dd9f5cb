// The query API runs queries on its own pool: slow queries never hold up ingest on the same
// server, the pool refuses work past its limit, and a query past its timeout is cancelled.
#include "api/search_api.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "core/metrics.h"
#include "core/testing/temp_directory.h"
#include "http/client.h"
#include "search/sqlite/sqlite_search_store.h"

namespace lp::api {
namespace {

using namespace std::chrono_literals;

// A store whose searches block until released, or until their query is cancelled.
class BlockingStore final : public search::SearchStore {
 public:
  Result<std::vector<search::DocumentOutcome>> Write(
      std::span<const search::SearchDocument> documents) override {
    return std::vector<search::DocumentOutcome>(documents.size());
  }
  Result<search::SearchPage> Search(const search::SearchQuery& query) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    // Polls the cancellation as a store's progress check would.
    while (!released_) {
      if (query.cancellation != nullptr && query.cancellation->cancelled()) {
        ++cancelled_;
        changed_.notify_all();
        return Retryable("query cancelled");
      }
      changed_.wait_for(lock, 10ms);
    }
    return search::SearchPage{};
  }
  Result<search::SearchHit> Get(std::string_view id) override {
    return NotFound("no event " + std::string(id));
  }
  Result<std::vector<search::HistogramBucket>> Histogram(const search::SearchQuery&,
                                                         const search::HistogramRequest&) override {
    return std::vector<search::HistogramBucket>{};
  }
  Result<search::Facets> Facet(const search::SearchQuery&, std::string_view, size_t) override {
    return search::Facets{};
  }
  Result<uint64_t> DeleteArrivedBefore(int64_t) override { return 0; }

  // Waits (up to a generous deadline) until `count` searches have begun.
  bool WaitForEntered(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 60s, [&] { return entered_ >= count; });
  }
  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  // The number of searches that saw their cancellation, once `count` have (or a generous
  // deadline passed): the pool answers at the timeout, the store notices at its next check.
  int WaitForCancelled(int count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 60s, [&] { return cancelled_ >= count; });
    return cancelled_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int entered_ = 0;
  int cancelled_ = 0;
  bool released_ = false;
};

// The pool's metrics, in a registry of the test's own.
struct Metrics {
  metrics::Registry registry;
  QueryPoolMetrics pool{registry};
};

// Calls a handler directly and waits for its answer. `tenant`: the requester's, as
// authentication would set it.
http::Response Call(SearchApi& api, void (SearchApi::*handle)(http::Request&, http::Responder),
                    std::string query, std::string tenant = "") {
  std::promise<http::Response> answer;
  http::Request request;
  request.method = "GET";
  request.query = std::move(query);
  request.tenant = std::move(tenant);
  (api.*handle)(request, [&answer](http::Response response) { answer.set_value(response); });
  auto future = answer.get_future();
  EXPECT_EQ(future.wait_for(60s), std::future_status::ready);
  return future.get();
}

TEST(SearchApiTest, IngestIsAnsweredWhileSlowQueriesRunOnTheSameServer) {
  BlockingStore store;
  Metrics metrics;
  QueryPool pool({.threads = 2, .max_queries = 8}, metrics.pool);
  SearchApi api(store, pool);
  http::HttpMetrics http_metrics(metrics.registry);
  // One IO thread, as busy as it gets: a query run on it would hold every other request up.
  http::Server server({.name = "ingest", .threads = 1},
                      {http::Route{"POST", "/logs",
                                   [](http::Request&, http::Responder respond) {
                                     respond(http::JsonResponse(202, R"({"accepted":1})"));
                                   }},
                       http::Route{"GET", "/api/search",
                                   [&api](http::Request& request, http::Responder respond) {
                                     api.HandleSearch(request, std::move(respond));
                                   }}},
                      http_metrics);
  ASSERT_TRUE(server.Start().has_value());
  const http::ServerUrl url{"127.0.0.1", std::to_string(server.port()), ""};
  std::vector<std::future<Result<http::ClientResponse>>> searches;
  for (int i = 0; i < 2; ++i) {
    searches.push_back(std::async(std::launch::async, [&] {
      return http::Fetch(url, "GET", "/api/search?q=slow", {}, 120s);
    }));
  }
  ASSERT_TRUE(store.WaitForEntered(2));

  const auto posted = http::Fetch(url, "POST", "/logs", R"({"message":"x"})", 60s);
  ASSERT_TRUE(posted.has_value()) << posted.error().message;
  EXPECT_EQ(posted->status, 202u);
  // The POST was answered while both queries were still running.
  for (auto& search : searches) EXPECT_NE(search.wait_for(0s), std::future_status::ready);

  store.Release();
  for (auto& search : searches) {
    const auto answered = search.get();
    ASSERT_TRUE(answered.has_value()) << answered.error().message;
    EXPECT_EQ(answered->status, 200u) << answered->body;
  }
  api.Stop();
  server.Stop();
}

TEST(SearchApiTest, RefusesQueriesPastTheLimitWith429AndRetryAfter) {
  BlockingStore store;
  Metrics metrics;
  QueryPool pool({.threads = 1, .max_queries = 2}, metrics.pool);
  SearchApi api(store, pool);
  std::vector<std::future<http::Response>> accepted;
  for (int i = 0; i < 2; ++i) {
    accepted.push_back(std::async(std::launch::async,
                                  [&] { return Call(api, &SearchApi::HandleSearch, "q=slow"); }));
  }
  ASSERT_TRUE(store.WaitForEntered(1));  // One runs, one waits its turn.
  // Both are in the pool before the third asks (the second may still be on its way to it).
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (metrics.pool.in_flight.Value() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(metrics.pool.in_flight.Value(), 2.0);
  const auto refused = Call(api, &SearchApi::HandleFacets, "field=service");
  EXPECT_EQ(refused.status, 429u);
  EXPECT_NE(refused.body.find("QUERY_MAX_CONCURRENT"), std::string::npos) << refused.body;
  ASSERT_EQ(refused.headers.size(), 1u);
  EXPECT_EQ(refused.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
  EXPECT_EQ(metrics.pool.rejected.Value(), 1u);
  // Bad parameters are answered at once, without taking a place in the pool.
  EXPECT_EQ(Call(api, &SearchApi::HandleSearch, "q=a%20OR").status, 400u);

  store.Release();
  for (auto& answer : accepted) EXPECT_EQ(answer.get().status, 200u);
  // Room again once they finished.
  EXPECT_EQ(Call(api, &SearchApi::HandleSearch, "q=x").status, 200u);
}

TEST(SearchApiTest, CancelsAQueryThatOutlivesItsTimeout) {
  BlockingStore store;
  Metrics metrics;
  QueryPool pool({.threads = 1, .max_queries = 4, .timeout = 200ms}, metrics.pool);
  SearchApi api(store, pool);
  const auto answer = Call(api, &SearchApi::HandleSearch, "q=slow");
  EXPECT_EQ(answer.status, 504u);
  EXPECT_NE(answer.body.find("QUERY_TIMEOUT"), std::string::npos) << answer.body;
  EXPECT_EQ(store.WaitForCancelled(1), 1);  // The store saw the cancellation and stopped.
  EXPECT_EQ(metrics.pool.cancelled.Value(), 1u);
}

TEST(SearchApiTest, CancelsAQueryWhoseClientWentAway) {
  BlockingStore store;
  Metrics metrics;
  QueryPool pool({.threads = 1, .max_queries = 4}, metrics.pool);
  SearchApi api(store, pool);
  auto client_gone = std::make_shared<std::atomic<bool>>(false);
  std::promise<http::Response> answer;
  http::Request request;
  request.method = "GET";
  request.query = "q=slow";
  request.client_gone = client_gone;
  api.HandleSearch(request, [&answer](http::Response response) { answer.set_value(response); });
  ASSERT_TRUE(store.WaitForEntered(1));
  client_gone->store(true);  // As the server does when the connection closes.
  auto future = answer.get_future();
  ASSERT_EQ(future.wait_for(60s), std::future_status::ready);
  EXPECT_EQ(future.get().status, 499u);
  EXPECT_EQ(store.WaitForCancelled(1), 1);
  // Counted once the task returned, just after it answered.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (metrics.pool.cancelled.Value() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(metrics.pool.cancelled.Value(), 1u);
}

TEST(SearchApiTest, NamesTheBadParameter) {
  BlockingStore store;
  Metrics metrics;
  QueryPool pool({}, metrics.pool);
  SearchApi api(store, pool);
  store.Release();
  const auto syntax = Call(api, &SearchApi::HandleSearch, "q=service%3Aweb%20AND");
  EXPECT_EQ(syntax.status, 400u);
  EXPECT_NE(syntax.body.find("q: invalid query at character 16"), std::string::npos) << syntax.body;
  EXPECT_EQ(Call(api, &SearchApi::HandleSearch, "track_total=maybe").status, 400u);
  EXPECT_EQ(Call(api, &SearchApi::HandleSearch, "cursor=nope").status, 400u);
  EXPECT_EQ(Call(api, &SearchApi::HandleFacets, "").status, 400u);
  EXPECT_EQ(Call(api, &SearchApi::HandleFacets, "field=message").status, 400u);
  EXPECT_EQ(Call(api, &SearchApi::HandleHistogram, "by=timestamp").status, 400u);
  EXPECT_EQ(Call(api, &SearchApi::HandleHistogram, "interval=soon").status, 400u);
  EXPECT_EQ(Call(api, &SearchApi::HandleContext, "").status, 400u);
  EXPECT_EQ(Call(api, &SearchApi::HandleContext, "id=x").status, 404u);
  EXPECT_EQ(Call(api, &SearchApi::HandleSearch, "track_total=true").status, 200u);
}

TEST(SearchApiTest, AQueryTokenSeesItsOwnTenantOnly) {
  test_support::TempDirectory directory("tenants");
  auto store = search::sqlite::SqliteSearchStore::Open(directory.path() / "search.db");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  std::vector<search::SearchDocument> documents;
  for (const std::string tenant : {"acme", "globex"}) {
    for (int i = 0; i < 2; ++i) {
      const std::string id = tenant + "-" + std::to_string(i);
      documents.push_back(search::SearchDocument{
          .id = id,
          .timestamp_ms = 1'700'000'000'000 + i,
          .service = "web",
          .level = "INFO",
          .message = "secret of " + tenant,
          .json = R"({"tenant":")" + tenant +
                  R"(","service":"web","level":"INFO","message":"secret of )" + tenant + R"("})"});
    }
  }
  ASSERT_TRUE((*store)->Write(documents).has_value());
  Metrics metrics;
  QueryPool pool({}, metrics.pool);
  SearchApi api(**store, pool);

  const auto own = Call(api, &SearchApi::HandleSearch, "q=secret", "acme");
  EXPECT_EQ(own.status, 200u);
  EXPECT_NE(own.body.find(R"("total":2,)"), std::string::npos) << own.body;
  EXPECT_EQ(own.body.find("globex"), std::string::npos) << own.body;
  // Asking for the other tenant by name finds nothing: the filter is ANDed, never replaced.
  const auto other = Call(api, &SearchApi::HandleSearch, "q=tenant%3Aglobex%20OR%20secret", "acme");
  EXPECT_EQ(other.body.find("globex"), std::string::npos) << other.body;
  const auto facets = Call(api, &SearchApi::HandleFacets, "field=tenant", "acme");
  EXPECT_NE(facets.body.find(R"("values":[{"value":"acme","count":2}])"), std::string::npos)
      << facets.body;
  EXPECT_EQ(Call(api, &SearchApi::HandleContext, "id=globex-0", "acme").status, 404u);
  const auto context = Call(api, &SearchApi::HandleContext, "id=acme-0", "acme");
  EXPECT_EQ(context.status, 200u);
  EXPECT_EQ(context.body.find("globex"), std::string::npos) << context.body;
  // Authentication off: no tenant, every event.
  const auto all = Call(api, &SearchApi::HandleSearch, "q=secret");
  EXPECT_NE(all.body.find(R"("total":4,)"), std::string::npos) << all.body;
}

}  // namespace
}  // namespace lp::api
