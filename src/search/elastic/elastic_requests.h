#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "search/search_store.h"

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

/// `index.mapping.total_fields.limit`: bounds the number-leaf fields of `payload_numbers`.
constexpr int kTotalFieldsLimit = 2000;

/// Appends one `index` action and its document to a `_bulk` body. The document is stored with
/// its id also as the keyword `event_id` (the tie-breaker of the sort: Elasticsearch 8 refuses
/// to sort on `_id`), and with `payload_numbers`: each number leaf of `payload` under its path
/// joined by `/` (`payload.http.status` → `payload_numbers.http/status`), mapped as `double` by
/// the template, so comparisons work beside the flattened `payload` (which holds text only).
/// Paths never nest there, so a leaf that is a number in one event and an object in another
/// cannot conflict. Likewise `payload_values`: every scalar leaf as keyword text (numbers and
/// booleans as their JSON text), for facets and histogram groupings (OpenSearch's flat_object
/// cannot aggregate its subfields).
void AppendBulkIndex(std::string& body, std::string_view alias, const SearchDocument& document);

/// The `payload_numbers` field of a `payload.*` field.
[[nodiscard]] std::string NumberField(std::string_view payload_field);
/// The field facets and histograms aggregate for a field: `payload_values.<path>` for payload
/// fields, the field itself otherwise.
[[nodiscard]] std::string AggregationField(std::string_view field);

/// The most hits one search may ask for (the indices' default `max_result_window`).
constexpr size_t kMaxSearchSize = 10'000;

/// `POST <alias>/_search` for a page of hits in the query's order (`timestamp`, `event_id`),
/// `search_after` its `after`; asks for one hit more than the page, up to kMaxSearchSize;
/// `track_total_hits` is the query's total_limit (or true).
[[nodiscard]] Result<std::string> SearchBody(const SearchQuery& query);
/// `POST <alias>/_search` for the one document with this id.
[[nodiscard]] std::string GetBody(std::string_view id);
/// `POST <alias>/_search` counting documents per interval and `by` value (top `groups` per
/// bucket by count, then value).
[[nodiscard]] Result<std::string> HistogramBody(const SearchQuery& query,
                                                const HistogramRequest& request);
/// `POST <alias>/_search` with a terms aggregation of the top `size` values of `field`.
[[nodiscard]] Result<std::string> FacetBody(const SearchQuery& query, std::string_view field,
                                            size_t size);

/// The query language's AST as query DSL: text as `match_phrase` / `match_phrase_prefix` on
/// `message`, keywords as `term` / `prefix`, payload leaves as `term` on the flattened field
/// (numbers also on `payload_numbers`), ranges as `range`, AND / OR / NOT as `bool`.
[[nodiscard]] std::string QueryDsl(const QueryNode& node);

}  // namespace lp::search::elastic
