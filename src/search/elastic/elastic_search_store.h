#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/backoff.h"
#include "search/elastic/elastic_client.h"
#include "search/elastic/elastic_requests.h"
#include "search/search_store.h"

namespace lp::search::elastic {

struct ElasticStoreOptions {
  ElasticClientOptions client{};
  std::string index_prefix = "logs";  ///< Indices `<prefix>-000001`... behind the alias.
  std::string alias = "log-write";
  int replicas = 1;
  int delete_after_days = 30;
  /// `_bulk`'s refresh parameter: empty (the index's refresh interval decides when documents
  /// become searchable), or "wait_for" (a write returns once its documents are searchable).
  std::string refresh{};
  /// A batch is sent as several `_bulk` requests when its body would be larger.
  size_t max_bulk_bytes = 10 * 1024 * 1024;
  /// Tries for documents answered 429 or 5xx, each retried alone with backoff.
  RetryPolicy item_retry{.initial_backoff = std::chrono::milliseconds(100),
                         .max_backoff = std::chrono::seconds(5),
                         .max_attempts = 5};
  /// How Open keeps trying to reach the cluster before it gives up.
  RetryPolicy startup_retry{.initial_backoff = std::chrono::milliseconds(200),
                            .max_backoff = std::chrono::seconds(5),
                            .deadline = std::chrono::seconds(60)};
};

/// The distributed search store on Elasticsearch 8 or OpenSearch 2: `_bulk` writes with an
/// outcome per document (429 and 5xx retried alone, mapping rejections returned as rejected),
/// searches in the query DSL with `search_after`, and a bootstrap at Open that is idempotent and
/// safe to race: index template, lifecycle policy (ILM, or ISM when OpenSearch has the plugin),
/// and the first index behind the write alias. Thread-safe.
class ElasticSearchStore final : public SearchStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<ElasticSearchStore>> Open(
      ElasticStoreOptions options);

  [[nodiscard]] Result<std::vector<DocumentOutcome>> Write(
      std::span<const SearchDocument> documents) override;
  [[nodiscard]] Result<SearchPage> Search(const SearchQuery& query) override;
  [[nodiscard]] Result<SearchHit> Get(std::string_view id) override;
  [[nodiscard]] Result<std::vector<HistogramBucket>> Histogram(
      const SearchQuery& query, const HistogramRequest& request) override;
  [[nodiscard]] Result<Facets> Facet(const SearchQuery& query, std::string_view field,
                                     size_t size) override;
  [[nodiscard]] Result<uint64_t> DeleteArrivedBefore(int64_t before_ms) override;

  [[nodiscard]] const ClusterInfo& cluster() const { return cluster_; }

 private:
  explicit ElasticSearchStore(ElasticStoreOptions options)
      : options_(std::move(options)), client_(options_.client) {}

  [[nodiscard]] Result<void> Bootstrap();
  /// `POST <alias>/_search` with `body`; non-2xx answers are errors.
  [[nodiscard]] Result<ElasticResponse> Query(const std::string& body, std::string_view what,
                                              const Cancellation* cancellation);
  /// Sends one `_bulk` of `documents` (indexes into `outcomes`, which it fills), and returns
  /// the indexes of documents worth another try.
  [[nodiscard]] Result<std::vector<size_t>> SendBulk(std::span<const SearchDocument> documents,
                                                     const std::vector<size_t>& indexes,
                                                     std::vector<DocumentOutcome>& outcomes);
  [[nodiscard]] Result<std::vector<size_t>> SendBulkBody(const std::string& body,
                                                         std::span<const size_t> indexes,
                                                         std::vector<DocumentOutcome>& outcomes);

  const ElasticStoreOptions options_;
  ElasticClient client_;
  ClusterInfo cluster_;
};

}  // namespace lp::search::elastic
