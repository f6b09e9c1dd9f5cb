#include "search/elastic/elastic_requests.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/json_escape.h"

namespace lp::search::elastic {
namespace {

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  AppendJsonEscaped(out, text);
  out += '"';
  return out;
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i > 0 ? "," : "") + parts[i];
  return out;
}

std::string Number(double value) {
  // Integers as integers (the golden files read naturally); others with full precision.
  if (value == static_cast<double>(static_cast<int64_t>(value)) && std::abs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc{} ? std::string(buffer, end) : "0";
}

std::string RangeDsl(const std::string& field, const QueryNode& node) {
  std::string body = R"({"range":{)" + Quoted(field) + ":{";
  std::vector<std::string> bounds;
  for (const auto& [bound, greater] : {std::pair{&node.lower, true}, {&node.upper, false}}) {
    if (!*bound) continue;
    const auto& b = **bound;
    const std::string name = greater ? (b.inclusive ? "gte" : "gt") : (b.inclusive ? "lte" : "lt");
    bounds.push_back(Quoted(name) + ":" +
                     (b.time_ms ? std::to_string(*b.time_ms) : Number(b.number.value_or(0))));
  }
  if (node.field_kind == FieldKind::kTimestamp) bounds.push_back(R"("format":"epoch_millis")");
  return body + Joined(bounds) + "}}}";
}

// The bool query shared by every request: the filter and the time range.
std::string BoolQuery(const SearchQuery& query) {
  std::vector<std::string> filters;
  if (query.filter.kind != QueryNode::Kind::kAll) filters.push_back(QueryDsl(query.filter));
  if (query.from_ms || query.to_ms) {
    std::string range = R"({"range":{"timestamp":{)";
    if (query.from_ms) range += R"("gte":)" + std::to_string(*query.from_ms) + ",";
    if (query.to_ms) range += R"("lt":)" + std::to_string(*query.to_ms) + ",";
    range += R"("format":"epoch_millis"}}})";
    filters.push_back(std::move(range));
  }
  return R"({"bool":{"filter":[)" + Joined(filters) + "]}}";
}

// Walks a payload object: each number leaf goes to `numbers` as `"a/b":<number>`, and each
// scalar leaf to `values` as `"a/b":"<its text>"`.
void CollectLeaves(simdjson::dom::object object, const std::string& prefix,
                   std::vector<std::string>& numbers, std::vector<std::string>& values) {
  for (const auto field : object) {
    const std::string path =
        prefix.empty() ? std::string(field.key) : prefix + "/" + std::string(field.key);
    if (field.value.is_object()) {
      CollectLeaves(field.value.get_object().value_unsafe(), path, numbers, values);
      continue;
    }
    if (field.value.is_array() || field.value.is_null()) continue;
    std::string name = "\"";
    AppendJsonEscaped(name, path);
    name += "\":";
    std::string_view text;
    if (field.value.get_string().get(text) == simdjson::SUCCESS) {
      values.push_back(name + Quoted(text));
      continue;
    }
    const std::string json = simdjson::to_string(field.value);
    if (field.value.is_number()) numbers.push_back(name + json);
    values.push_back(name + Quoted(json));
  }
}

}  // namespace

Result<ClusterInfo> ParseClusterInfo(std::string_view root_body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(root_body.data(), root_body.size()).get(root) != simdjson::SUCCESS) {
    return Permanent("the search store's GET / answer is not JSON");
  }
  std::string_view number;
  if (root["version"]["number"].get_string().get(number) != simdjson::SUCCESS) {
    return Permanent("the search store's GET / answer has no version.number");
  }
  ClusterInfo info;
  info.version = std::string(number);
  std::string_view distribution;
  if (root["version"]["distribution"].get_string().get(distribution) == simdjson::SUCCESS &&
      distribution == "opensearch") {
    info.distribution = Distribution::kOpenSearch;
  }
  const char* end = number.data() + number.size();
  auto parsed = std::from_chars(number.data(), end, info.major);
  if (parsed.ec == std::errc{} && parsed.ptr != end && *parsed.ptr == '.') {
    std::from_chars(parsed.ptr + 1, end, info.minor);
  }
  return info;
}

std::string IndexTemplateBody(const ClusterInfo& cluster, const TemplateOptions& options) {
  const bool opensearch = cluster.distribution == Distribution::kOpenSearch;
  // flat_object arrived in OpenSearch 2.7; before it, payload is kept but not indexed.
  std::string payload = R"({"type":"flattened"})";
  if (opensearch) {
    payload = cluster.major > 2 || (cluster.major == 2 && cluster.minor >= 7)
                  ? R"({"type":"flat_object"})"
                  : R"({"type":"object","enabled":false})";
  }
  // payload_numbers holds only numbers, one field per payload path: their count is what the
  // limit bounds (Elasticsearch drops fields past it instead of refusing the document).
  std::string settings = R"("number_of_replicas":)" + std::to_string(options.replicas) +
                         R"(,"mapping.total_fields.limit":)" + std::to_string(kTotalFieldsLimit);
  if (!opensearch) settings += R"(,"mapping.total_fields.ignore_dynamic_beyond_limit":true)";
  if (!options.policy.empty()) {
    settings += opensearch
                    ? R"(,"plugins.index_state_management.rollover_alias":)" + Quoted(options.alias)
                    : R"(,"index.lifecycle.name":)" + Quoted(options.policy) +
                          R"(,"index.lifecycle.rollover_alias":)" + Quoted(options.alias);
  }
  return R"({"index_patterns":[)" + Quoted(options.index_prefix + "-*") +
         R"(],"priority":100,"template":{"settings":{)" + settings +
         R"(},"mappings":{"dynamic_templates":[{"labels_as_keywords":{"path_match":"labels.*",)"
         R"("mapping":{"type":"keyword"}}},{"payload_numbers_as_doubles":{)"
         R"("path_match":"payload_numbers.*","mapping":{"type":"double"}}},)"
         R"({"payload_values_as_keywords":{"path_match":"payload_values.*",)"
         R"("mapping":{"type":"keyword","ignore_above":1024}}}],"properties":{)"
         R"("timestamp":{"type":"date"},"ingested_at":{"type":"date"},)"
         R"("event_id":{"type":"keyword"},"service":{"type":"keyword"},)"
         R"("level":{"type":"keyword"},"host":{"type":"keyword"},"tenant":{"type":"keyword"},)"
         R"("trace_id":{"type":"keyword"},"request_id":{"type":"keyword"},)"
         R"("message":{"type":"text"},"labels":{"type":"object"},)"
         R"("payload_numbers":{"type":"object"},"payload_values":{"type":"object"},"payload":)" +
         payload +
         R"(,"geo":{"properties":{"country_iso_code":{"type":"keyword"},)"
         R"("country_name":{"type":"keyword"},"city_name":{"type":"keyword"},)"
         R"("location":{"type":"geo_point"}}}}}}})";
}

std::string IlmPolicyBody(int delete_after_days) {
  return R"({"policy":{"phases":{)"
         R"("hot":{"actions":{"rollover":{"max_primary_shard_size":"50gb","max_age":"1d"},)"
         R"("set_priority":{"priority":100}}},)"
         R"("warm":{"min_age":"2d","actions":{"forcemerge":{"max_num_segments":1},)"
         R"("set_priority":{"priority":50}}},)"
         R"("cold":{"min_age":"7d","actions":{"set_priority":{"priority":0}}},)"
         R"("delete":{"min_age":")" +
         std::to_string(delete_after_days) + R"(d","actions":{"delete":{}}}}}})";
}

std::string IsmPolicyBody(int delete_after_days, std::string_view index_prefix) {
  return R"({"policy":{"description":"logpipe: hot, warm, cold, delete","default_state":"hot",)"
         R"("states":[)"
         R"({"name":"hot","actions":[{"rollover":{"min_primary_shard_size":"50gb",)"
         R"("min_index_age":"1d"}}],"transitions":[{"state_name":"warm",)"
         R"("conditions":{"min_index_age":"2d"}}]},)"
         R"({"name":"warm","actions":[{"force_merge":{"max_num_segments":1}}],)"
         R"("transitions":[{"state_name":"cold","conditions":{"min_index_age":"7d"}}]},)"
         R"({"name":"cold","actions":[],"transitions":[{"state_name":"delete",)"
         R"("conditions":{"min_index_age":")" +
         std::to_string(delete_after_days) +
         R"(d"}}]},)"
         R"({"name":"delete","actions":[{"delete":{}}],"transitions":[]}],)"
         R"("ism_template":[{"index_patterns":[)" +
         Quoted(std::string(index_prefix) + "-*") + R"(],"priority":100}]}})";
}

std::string FirstIndexBody(std::string_view alias) {
  return R"({"aliases":{)" + Quoted(alias) + R"(:{"is_write_index":true}}})";
}

void AppendBulkIndex(std::string& body, std::string_view alias, const SearchDocument& document) {
  body += R"({"index":{"_index":)";
  body += Quoted(alias);
  body += R"(,"_id":)";
  body += Quoted(document.id);
  body += "}}\n";
  body += R"({"event_id":)";
  body += Quoted(document.id);
  simdjson::dom::parser parser;
  simdjson::dom::object payload;
  std::vector<std::string> numbers;
  std::vector<std::string> values;
  if (parser.parse(document.json).at_key("payload").get_object().get(payload) ==
      simdjson::SUCCESS) {
    CollectLeaves(payload, "", numbers, values);
  }
  if (!numbers.empty()) body += R"(,"payload_numbers":{)" + Joined(numbers) + "}";
  if (!values.empty()) body += R"(,"payload_values":{)" + Joined(values) + "}";
  if (document.json.size() > 2) body += ',';
  body.append(std::string_view(document.json).substr(1));
  body += '\n';
}

std::string NumberField(std::string_view payload_field) {
  std::string path(payload_field.substr(std::string_view("payload.").size()));
  std::ranges::replace(path, '.', '/');
  return "payload_numbers." + path;
}

std::string AggregationField(std::string_view field) {
  if (!field.starts_with("payload.")) return std::string(field);
  std::string path(field.substr(std::string_view("payload.").size()));
  std::ranges::replace(path, '.', '/');
  return "payload_values." + path;
}

Result<std::string> SearchBody(const SearchQuery& query) {
  if (query.limit == 0 || query.limit > kMaxSearchSize) {
    return Permanent("limit must be from 1 to " + std::to_string(kMaxSearchSize));
  }
  const char* order = query.order == SortOrder::kNewestFirst ? "desc" : "asc";
  std::string body = R"({"size":)" + std::to_string(std::min(query.limit + 1, kMaxSearchSize)) +
                     R"(,"track_total_hits":)" +
                     (!query.total_limit        ? std::string("true")
                      : *query.total_limit == 0 ? std::string("false")
                                                : std::to_string(*query.total_limit)) +
                     R"(,"sort":[{"timestamp":{"order":")" + order +
                     R"("}},{"event_id":{"order":")" + order + R"("}}],"query":)" +
                     BoolQuery(query);
  if (query.after) {
    body += R"(,"search_after":[)" + std::to_string(query.after->timestamp_ms) + "," +
            Quoted(query.after->id) + "]";
  }
  body += "}";
  return body;
}

std::string GetBody(std::string_view id) {
  return R"({"size":1,"query":{"ids":{"values":[)" + Quoted(id) +
         R"(]}},"sort":[{"timestamp":{"order":"desc"}}]})";
}

Result<std::string> HistogramBody(const SearchQuery& query, const HistogramRequest& request) {
  if (request.interval_ms <= 0) return Permanent("interval must be positive");
  const bool by_level = request.by == "level";
  if (!by_level) {
    if (auto checked = CheckGroupingField(request.by); !checked) {
      return tl::unexpected(checked.error());
    }
  }
  return R"({"size":0,"query":)" + BoolQuery(query) +
         R"(,"aggs":{"buckets":{"date_histogram":{"field":"timestamp","fixed_interval":")" +
         std::to_string(request.interval_ms) +
         R"(ms","min_doc_count":1},"aggs":{"values":{"terms":{"field":)" +
         Quoted(AggregationField(request.by)) + R"(,"size":)" +
         std::to_string(by_level ? 16 : request.groups) +
         R"(,"order":[{"_count":"desc"},{"_key":"asc"}]}}}}}})";
}

Result<std::string> FacetBody(const SearchQuery& query, std::string_view field, size_t size) {
  if (auto checked = CheckGroupingField(field); !checked) return tl::unexpected(checked.error());
  if (size == 0 || size > 1000) return Permanent("size must be from 1 to 1000");
  return R"({"size":0,"query":)" + BoolQuery(query) + R"(,"aggs":{"values":{"terms":{"field":)" +
         Quoted(AggregationField(field)) + R"(,"size":)" + std::to_string(size) +
         R"(,"order":[{"_count":"desc"},{"_key":"asc"}]}}}})";
}

std::string QueryDsl(const QueryNode& node) {
  using Kind = QueryNode::Kind;
  using Match = QueryNode::Match;
  std::vector<std::string> children;
  for (const auto& child : node.children) children.push_back(QueryDsl(child));
  switch (node.kind) {
    case Kind::kAll:
      return R"({"match_all":{}})";
    case Kind::kAnd:
      return R"({"bool":{"filter":[)" + Joined(children) + "]}}";
    case Kind::kOr:
      return R"({"bool":{"should":[)" + Joined(children) + R"(],"minimum_should_match":1}})";
    case Kind::kNot:
      return R"({"bool":{"must_not":[)" + Joined(children) + "]}}";
    case Kind::kRange:
      if (node.field_kind == FieldKind::kTimestamp) return RangeDsl("timestamp", node);
      if (!node.lower && !node.upper) {
        return R"({"exists":{"field":)" + Quoted(NumberField(node.field)) + "}}";
      }
      return RangeDsl(NumberField(node.field), node);
    case Kind::kMatch:
      break;
  }
  const std::string field = Quoted(node.field);
  if (node.field_kind == FieldKind::kText) {
    // A word is the phrase of the tokens the analyzer splits it into, as in FTS5; a prefix
    // applies to its last token, with no cap on the terms it may match.
    if (node.match == Match::kPrefix) {
      return R"({"match_phrase_prefix":{"message":{"query":)" + Quoted(node.value) +
             R"(,"max_expansions":10000}}})";
    }
    return R"({"match_phrase":{"message":)" + Quoted(node.value) + "}}";
  }
  if (node.match == Match::kPrefix) {
    return R"({"prefix":{)" + field + ":" + Quoted(node.value) + "}}";
  }
  const std::string term = R"({"term":{)" + field + ":" + Quoted(node.value) + "}}";
  if (node.field_kind == FieldKind::kPayload) {
    // The flattened payload holds every leaf as text; a number also equals its other spellings.
    double number = 0;
    const auto* end = node.value.data() + node.value.size();
    if (const auto parsed = std::from_chars(node.value.data(), end, number);
        parsed.ec == std::errc{} && parsed.ptr == end && std::isfinite(number)) {
      return R"({"bool":{"should":[)" + term + R"(,{"term":{)" + Quoted(NumberField(node.field)) +
             ":" + Number(number) + R"(}}],"minimum_should_match":1}})";
    }
  }
  return term;
}

}  // namespace lp::search::elastic
