#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "search/search_store.h"
#include "search/text_query.h"

namespace lp::search::elastic {

enum class Distribution { kElasticsearch, kOpenSearch };

/// What `GET /` says about the cluster.
struct ClusterInfo {
  Distribution distribution = Distribution::kElasticsearch;
  int major = 0;
  int minor = 0;
  std::string version;
};

[[nodiscard]] Result<ClusterInfo> ParseClusterInfo(std::string_view root_body);

struct TemplateOptions {
  std::string index_prefix = "logs";  ///< Indices are `<prefix>-000001`, `<prefix>-000002`...
  std::string alias = "log-write";
  int replicas = 1;
  /// The lifecycle policy to attach (ILM on Elasticsearch, ISM on OpenSearch); empty: none.
  std::string policy;
};

// Request bodies, kept apart from the HTTP so that golden files pin them (the Elasticsearch 8
// shapes cannot be sent to a real Elasticsearch here).

/// `PUT _index_template/logpipe-<prefix>`: DESIGN §5's mappings for `<prefix>-*`, `payload` as
/// `flattened` (Elasticsearch) or `flat_object` (OpenSearch 2.7+).
[[nodiscard]] std::string IndexTemplateBody(const ClusterInfo& cluster,
                                            const TemplateOptions& options);
/// `PUT _ilm/policy/<name>`: hot (rollover at 1 day or 50 GB a shard) → warm → cold → delete.
[[nodiscard]] std::string IlmPolicyBody(int delete_after_days);
/// `PUT _plugins/_ism/policies/<name>`: the same states for OpenSearch's ISM, applied to new
/// `<prefix>-*` indices.
[[nodiscard]] std::string IsmPolicyBody(int delete_after_days, std::string_view index_prefix);
/// `PUT <prefix>-000001`: the first index, holding the write alias.
[[nodiscard]] std::string FirstIndexBody(std::string_view alias);

/// Appends one `index` action and its document to a `_bulk` body. The document is stored with
/// its id also as the keyword `event_id`, the tie-breaker of the search sort (Elasticsearch 8
/// refuses to sort on `_id`).
void AppendBulkIndex(std::string& body, std::string_view alias, const SearchDocument& document);

/// The most hits one search may ask for (the indices' default `max_result_window`).
constexpr size_t kMaxSearchSize = 10'000;

/// `POST <alias>/_search` for a page of hits, newest first, with `search_after` from a cursor
/// of the previous page (`<timestamp ms>:<event id>`); asks for one hit more than the page, up
/// to kMaxSearchSize.
[[nodiscard]] Result<std::string> SearchBody(const SearchQuery& query);
/// `POST <alias>/_search` counting documents per interval and level.
[[nodiscard]] Result<std::string> HistogramBody(const SearchQuery& query, int64_t interval_ms);

/// The full-text language of `q` as a query over `message`: words and phrases as
/// `match_phrase`, `prefix*` as `match_phrase_prefix`, AND / OR / NOT and parentheses as `bool`
/// queries with FTS5's precedence, so that both stores find the same events.
[[nodiscard]] Result<std::string> TextQueryDsl(const std::vector<TextQueryToken>& tokens);

}  // namespace lp::search::elastic
