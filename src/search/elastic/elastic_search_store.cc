#include "search/elastic/elastic_search_store.h"

#include <simdjson.h>

#include <algorithm>
#include <thread>

#include "core/backoff.h"
#include "core/json_escape.h"
#include "core/logging.h"

namespace lp::search::elastic {
namespace {

const Logger& Log() {
  static const Logger logger("elastic");
  return logger;
}

// The store's own explanation of a refused request: `error.type: error.reason`, or the body.
std::string Reason(const ElasticResponse& response) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view type;
  std::string_view reason;
  if (parser.parse(response.body).get(root) == simdjson::SUCCESS &&
      root["error"]["type"].get_string().get(type) == simdjson::SUCCESS &&
      root["error"]["reason"].get_string().get(reason) == simdjson::SUCCESS) {
    return std::string(type) + ": " + std::string(reason);
  }
  return response.body.substr(0, 300);
}

// 429 and 5xx pass; credentials are named; the rest is a refusal that retrying cannot change.
tl::unexpected<Error> StatusError(std::string_view what, const ElasticResponse& response) {
  std::string message = std::string(what) + ": HTTP " + std::to_string(response.status);
  if (response.status == 401 || response.status == 403) {
    return Permanent(message + " (check ES_USERNAME and ES_PASSWORD, or ES_API_KEY)");
  }
  message.append(" ").append(Reason(response));
  if (response.status == 429 || response.status >= 500) return Retryable(message);
  return Permanent(message);
}

Result<ElasticResponse> Expect(Result<ElasticResponse> response, std::string_view what) {
  if (!response) return tl::unexpected(response.error());
  if (response->status < 200 || response->status >= 300) return StatusError(what, *response);
  return response;
}

// The stored document as the processor wrote it: without what the bulk body added,
// members in their order (a `_source` filter on the server would reorder them).
std::string DocumentOf(simdjson::dom::object source) {
  std::string out = "{";
  for (const auto field : source) {
    if (field.key == "event_id" || field.key == "payload_numbers" ||
        field.key == "payload_values") {
      continue;
    }
    if (out.size() > 1) out += ',';
    out += '"';
    AppendJsonEscaped(out, field.key);
    out += "\":";
    out += simdjson::to_string(field.value);
  }
  out += '}';
  return out;
}

Result<simdjson::dom::element> ParseJson(simdjson::dom::parser& parser, const std::string& body,
                                         std::string_view what) {
  simdjson::dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) {
    return Retryable(std::string(what) + ": the answer is not JSON");
  }
  return root;
}

}  // namespace

Result<std::unique_ptr<ElasticSearchStore>> ElasticSearchStore::Open(ElasticStoreOptions options) {
  std::unique_ptr<ElasticSearchStore> store(new ElasticSearchStore(std::move(options)));
  RetryChain chain("search store bootstrap", store->options_.startup_retry);
  while (true) {
    auto bootstrapped = store->Bootstrap();
    if (bootstrapped) return store;
    if (!bootstrapped.error().retryable()) return tl::unexpected(bootstrapped.error());
    Log().Warn("the search store is not reachable yet; retrying",
               {{"error", bootstrapped.error().message}});
    if (!chain.BackOff()) return tl::unexpected(bootstrapped.error());
  }
}

Result<void> ElasticSearchStore::Bootstrap() {
  auto root = Expect(client_.Send("GET", "/"), "GET /");
  if (!root) return tl::unexpected(root.error());
  auto cluster = ParseClusterInfo(root->body);
  if (!cluster) return tl::unexpected(cluster.error());
  cluster_ = *cluster;
  const bool opensearch = cluster_.distribution == Distribution::kOpenSearch;
  Log().Info("search store", {{"distribution", opensearch ? "opensearch" : "elasticsearch"},
                              {"version", cluster_.version}});

  // One template and policy per index prefix, so that several pipelines can share a cluster.
  const std::string name = "logpipe-" + options_.index_prefix;
  std::string policy = name;
  if (opensearch) {
    const std::string path = "/_plugins/_ism/policies/" + policy;
    auto existing = client_.Send("GET", path);
    if (!existing) return tl::unexpected(existing.error());
    if (existing->status == 401 || existing->status == 403 || existing->status == 429 ||
        existing->status >= 500) {
      return StatusError("looking up the ISM policy", *existing);
    }
    if (existing->status == 200) {
      // Already there (another processor, or an operator's edit): left as it is.
    } else if (existing->status == 404 && existing->body.find("no handler") == std::string::npos &&
               !existing->body.empty()) {
      auto created = client_.Send("PUT", path,
                                  IsmPolicyBody(options_.delete_after_days, options_.index_prefix));
      if (!created) return tl::unexpected(created.error());
      // 409: a processor starting at the same time created it first.
      if (created->status != 409 && (created->status < 200 || created->status >= 300)) {
        return StatusError("creating the ISM policy", *created);
      }
    } else {
      Log().Warn(
          "OpenSearch has no Index State Management plugin: indices are neither rolled over nor "
          "deleted by age; install opensearch-index-management for the lifecycle");
      policy.clear();
    }
  } else {
    auto created = Expect(
        client_.Send("PUT", "/_ilm/policy/" + policy, IlmPolicyBody(options_.delete_after_days)),
        "creating the ILM policy");
    if (!created) return tl::unexpected(created.error());
  }

  auto index_template =
      Expect(client_.Send("PUT", "/_index_template/" + name,
                          IndexTemplateBody(cluster_, {.index_prefix = options_.index_prefix,
                                                       .alias = options_.alias,
                                                       .replicas = options_.replicas,
                                                       .policy = policy})),
             "creating the index template");
  if (!index_template) return tl::unexpected(index_template.error());

  auto alias = client_.Send("HEAD", "/_alias/" + options_.alias);
  if (!alias) return tl::unexpected(alias.error());
  if (alias->status == 404) {
    auto created = client_.Send("PUT", "/" + options_.index_prefix + "-000001",
                                FirstIndexBody(options_.alias));
    if (!created) return tl::unexpected(created.error());
    const bool raced = created->status == 400 &&
                       created->body.find("resource_already_exists_exception") != std::string::npos;
    if (!raced && (created->status < 200 || created->status >= 300)) {
      return StatusError("creating the first index", *created);
    }
  } else if (alias->status != 200) {
    return StatusError("looking up the write alias", *alias);
  }
  return {};
}

Result<std::vector<size_t>> ElasticSearchStore::SendBulk(std::span<const SearchDocument> documents,
                                                         const std::vector<size_t>& indexes,
                                                         std::vector<DocumentOutcome>& outcomes) {
  std::vector<size_t> again;
  // Requests of at most max_bulk_bytes (one document may exceed it alone).
  for (size_t first = 0; first < indexes.size();) {
    std::string body;
    size_t end = first;
    while (end < indexes.size() && (end == first || body.size() < options_.max_bulk_bytes)) {
      const size_t before = body.size();
      AppendBulkIndex(body, options_.alias, documents[indexes[end]]);
      if (end > first && body.size() > options_.max_bulk_bytes) {
        body.resize(before);
        break;
      }
      ++end;
    }
    auto retry = SendBulkBody(body, std::span(indexes).subspan(first, end - first), outcomes);
    if (!retry) return retry;
    again.insert(again.end(), retry->begin(), retry->end());
    first = end;
  }
  return again;
}

Result<std::vector<size_t>> ElasticSearchStore::SendBulkBody(
    const std::string& body, std::span<const size_t> indexes,
    std::vector<DocumentOutcome>& outcomes) {
  const std::string path =
      options_.refresh.empty() ? "/_bulk" : "/_bulk?refresh=" + options_.refresh;
  auto response = Expect(client_.Send("POST", path, body, "application/x-ndjson"), "_bulk");
  if (!response) return tl::unexpected(response.error());
  simdjson::dom::parser parser;
  auto root = ParseJson(parser, response->body, "_bulk");
  if (!root) return tl::unexpected(root.error());
  simdjson::dom::array items;
  if ((*root)["items"].get_array().get(items) != simdjson::SUCCESS ||
      items.size() != indexes.size()) {
    return Retryable("_bulk: the answer does not list one item per document");
  }
  std::vector<size_t> again;
  size_t position = 0;
  for (const auto item : items) {
    const size_t index = indexes[position++];
    simdjson::dom::object action;
    int64_t status = 0;
    if (item.get_object().get(action) != simdjson::SUCCESS || action.size() != 1 ||
        action.begin().value()["status"].get_int64().get(status) != simdjson::SUCCESS) {
      return Retryable("_bulk: an item without a status");
    }
    if (status >= 200 && status < 300) {
      outcomes[index] = DocumentOutcome{};
      continue;
    }
    const auto error = action.begin().value()["error"];
    std::string_view type;
    std::string_view reason;
    std::string text = "HTTP " + std::to_string(status);
    if (error["type"].get_string().get(type) == simdjson::SUCCESS) text += " " + std::string(type);
    if (error["reason"].get_string().get(reason) == simdjson::SUCCESS) {
      text += ": " + std::string(reason);
    }
    outcomes[index] = DocumentOutcome{.accepted = false, .error = text};
    if (status == 429 || status >= 500) again.push_back(index);
  }
  return again;
}

Result<std::vector<DocumentOutcome>> ElasticSearchStore::Write(
    std::span<const SearchDocument> documents) {
  std::vector<DocumentOutcome> outcomes(documents.size());
  if (documents.empty()) return outcomes;
  std::vector<size_t> pending(documents.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  RetryChain chain("bulk write of refused documents", options_.item_retry);
  while (true) {
    auto again = SendBulk(documents, pending, outcomes);
    if (!again) return tl::unexpected(again.error());
    if (again->empty()) return outcomes;
    if (!chain.BackOff()) {
      // Still refused for load or a server fault: never a reason to dead-letter them.
      return Retryable(std::to_string(again->size()) + " documents still refused after " +
                       std::to_string(chain.failures()) + " tries, e.g. " +
                       outcomes[again->front()].error);
    }
    pending = std::move(*again);
  }
}

Result<ElasticResponse> ElasticSearchStore::Query(const std::string& body, std::string_view what,
                                                  const Cancellation* cancellation) {
  return Expect(client_.Send("POST", "/" + options_.alias + "/_search", body, "application/json",
                             cancellation),
                what);
}

Result<SearchPage> ElasticSearchStore::Search(const SearchQuery& query) {
  auto body = SearchBody(query);
  if (!body) return tl::unexpected(body.error());
  auto response = Query(*body, "search", query.cancellation);
  if (!response) return tl::unexpected(response.error());
  simdjson::dom::parser parser;
  auto root = ParseJson(parser, response->body, "search");
  if (!root) return tl::unexpected(root.error());
  SearchPage page;
  simdjson::dom::array hits;
  uint64_t total = 0;
  std::string_view relation;
  if ((*root)["hits"]["hits"].get_array().get(hits) != simdjson::SUCCESS) {
    return Retryable("search: the answer has no hits");
  }
  if (query.total_limit == 0u) {
    // Not counted at all: only whether anything matched.
    if (hits.size() > 0) page.total_relation = TotalRelation::kGreaterEqual;
  } else if ((*root)["hits"]["total"]["value"].get_uint64().get(total) != simdjson::SUCCESS ||
             (*root)["hits"]["total"]["relation"].get_string().get(relation) != simdjson::SUCCESS) {
    return Retryable("search: the answer has no total");
  }
  page.total = total;
  if (relation == "gte") page.total_relation = TotalRelation::kGreaterEqual;
  for (const auto hit : hits) {
    std::string_view id;
    simdjson::dom::object source;
    simdjson::dom::array sort;
    if (hit["_id"].get_string().get(id) != simdjson::SUCCESS ||
        hit["_source"].get_object().get(source) != simdjson::SUCCESS ||
        hit["sort"].get_array().get(sort) != simdjson::SUCCESS || sort.size() != 2) {
      return Retryable("search: a hit without _id, _source or sort");
    }
    if (page.hits.size() == query.limit) break;  // The extra hit only says that more follow.
    int64_t timestamp = 0;
    std::string_view event_id;
    if (sort.at(0).get_int64().get(timestamp) != simdjson::SUCCESS ||
        sort.at(1).get_string().get(event_id) != simdjson::SUCCESS) {
      return Retryable("search: a hit with an unexpected sort");
    }
    page.hits.push_back(SearchHit{std::string(id), DocumentOf(source), timestamp});
    page.next = Position{timestamp, std::string(event_id)};
  }
  // A page of the largest size cannot ask for the extra hit: it offers a cursor when full, and
  // the page after it may be empty.
  const bool full_at_the_limit = query.limit >= kMaxSearchSize && hits.size() == query.limit;
  if (hits.size() <= query.limit && !full_at_the_limit) page.next.reset();
  return page;
}

Result<SearchHit> ElasticSearchStore::Get(std::string_view id) {
  auto response = Query(GetBody(id), "get", nullptr);
  if (!response) return tl::unexpected(response.error());
  simdjson::dom::parser parser;
  auto root = ParseJson(parser, response->body, "get");
  if (!root) return tl::unexpected(root.error());
  simdjson::dom::array hits;
  if ((*root)["hits"]["hits"].get_array().get(hits) != simdjson::SUCCESS) {
    return Retryable("get: the answer has no hits");
  }
  for (const auto hit : hits) {
    simdjson::dom::object source;
    int64_t timestamp = 0;
    if (hit["_source"].get_object().get(source) != simdjson::SUCCESS ||
        hit["sort"].at(0).get_int64().get(timestamp) != simdjson::SUCCESS) {
      return Retryable("get: a hit without _source or sort");
    }
    return SearchHit{std::string(id), DocumentOf(source), timestamp};
  }
  return NotFound("no event " + std::string(id));
}

namespace {

// The `values` terms aggregation of an answer, as (value, count) pairs.
Result<std::vector<FacetValue>> TermsBuckets(
    simdjson::simdjson_result<simdjson::dom::element> aggregation, std::string_view what) {
  simdjson::dom::array buckets;
  if (aggregation["buckets"].get_array().get(buckets) != simdjson::SUCCESS) {
    return Retryable(std::string(what) + ": the answer has no terms buckets");
  }
  std::vector<FacetValue> values;
  for (const auto bucket : buckets) {
    FacetValue value;
    std::string_view key;
    simdjson::dom::element key_element;
    if (bucket["key"].get(key_element) != simdjson::SUCCESS) {
      return Retryable(std::string(what) + ": a bucket without key");
    }
    if (key_element.get_string().get(key) == simdjson::SUCCESS) {
      value.value = std::string(key);
    } else {
      value.value = simdjson::to_string(key_element);
    }
    if (bucket["doc_count"].get_uint64().get(value.count) != simdjson::SUCCESS) {
      return Retryable(std::string(what) + ": a bucket without doc_count");
    }
    values.push_back(std::move(value));
  }
  return values;
}

}  // namespace

Result<std::vector<HistogramBucket>> ElasticSearchStore::Histogram(
    const SearchQuery& query, const HistogramRequest& request) {
  auto body = HistogramBody(query, request);
  if (!body) return tl::unexpected(body.error());
  auto response = Query(*body, "histogram", query.cancellation);
  if (!response) return tl::unexpected(response.error());
  simdjson::dom::parser parser;
  auto root = ParseJson(parser, response->body, "histogram");
  if (!root) return tl::unexpected(root.error());
  simdjson::dom::array buckets;
  if ((*root)["aggregations"]["buckets"]["buckets"].get_array().get(buckets) != simdjson::SUCCESS) {
    return Retryable("histogram: the answer has no buckets");
  }
  std::vector<HistogramBucket> out;
  for (const auto bucket : buckets) {
    int64_t start = 0;
    if (bucket["key"].get_int64().get(start) != simdjson::SUCCESS) {
      return Retryable("histogram: a bucket without key");
    }
    auto values = TermsBuckets(bucket["values"], "histogram");
    if (!values) return tl::unexpected(values.error());
    std::ranges::sort(*values, {}, &FacetValue::value);
    for (auto& value : *values) {
      out.push_back(HistogramBucket{start, std::move(value.value), value.count});
    }
  }
  return out;
}

Result<Facets> ElasticSearchStore::Facet(const SearchQuery& query, std::string_view field,
                                         size_t size) {
  auto body = FacetBody(query, field, size);
  if (!body) return tl::unexpected(body.error());
  auto response = Query(*body, "facets", query.cancellation);
  if (!response) return tl::unexpected(response.error());
  simdjson::dom::parser parser;
  auto root = ParseJson(parser, response->body, "facets");
  if (!root) return tl::unexpected(root.error());
  auto aggregation = (*root)["aggregations"]["values"];
  auto values = TermsBuckets(aggregation, "facets");
  if (!values) return tl::unexpected(values.error());
  Facets facets{.values = std::move(*values)};
  uint64_t error_bound = 0;
  if (aggregation["sum_other_doc_count"].get_uint64().get(facets.other) != simdjson::SUCCESS) {
    return Retryable("facets: the answer has no sum_other_doc_count");
  }
  // More than one shard may miss a value's count on some shard: then counts are lower bounds.
  if (aggregation["doc_count_error_upper_bound"].get_uint64().get(error_bound) ==
          simdjson::SUCCESS &&
      error_bound > 0) {
    facets.relation = TotalRelation::kGreaterEqual;
  }
  return facets;
}

Result<uint64_t> ElasticSearchStore::DeleteArrivedBefore(int64_t before_ms) {
  // By arrival (`ingested_at`, set by the processor), never by the event's own timestamp; a
  // document without `ingested_at` is kept. Production leaves this to ILM/ISM (index age).
  const std::string body = R"({"query":{"range":{"ingested_at":{"lt":)" +
                           std::to_string(before_ms) + R"(,"format":"epoch_millis"}}}})";
  auto response = Expect(
      client_.Send("POST",
                   "/" + options_.alias + "/_delete_by_query?refresh=true&conflicts=proceed", body),
      "deleting old documents");
  if (!response) return tl::unexpected(response.error());
  simdjson::dom::parser parser;
  auto root = ParseJson(parser, response->body, "deleting old documents");
  if (!root) return tl::unexpected(root.error());
  uint64_t deleted = 0;
  if ((*root)["deleted"].get_uint64().get(deleted) != simdjson::SUCCESS) {
    return Retryable("deleting old documents: the answer has no count");
  }
  return deleted;
}

}  // namespace lp::search::elastic
