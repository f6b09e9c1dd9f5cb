#include "search/elastic/elastic_requests.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>

#include "core/json_escape.h"
#include "search/text_query.h"

namespace lp::search::elastic {
namespace {

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  AppendJsonEscaped(out, text);
  out += '"';
  return out;
}

// The bool query shared by searches and histograms: filters, and the text query if any.
Result<std::string> BoolQuery(const SearchQuery& query) {
  std::vector<std::string> filters;
  if (query.service) filters.push_back(R"({"term":{"service":)" + Quoted(*query.service) + "}}");
  if (query.level) filters.push_back(R"({"term":{"level":)" + Quoted(*query.level) + "}}");
  if (query.from_ms || query.to_ms) {
    std::string range = R"({"range":{"timestamp":{)";
    if (query.from_ms) range += R"("gte":)" + std::to_string(*query.from_ms) + ",";
    if (query.to_ms) range += R"("lt":)" + std::to_string(*query.to_ms) + ",";
    range += R"("format":"epoch_millis"}}})";
    filters.push_back(std::move(range));
  }
  std::string must;
  if (!query.text.empty()) {
    auto tokens = ParseTextQuery(query.text);
    if (!tokens) return tl::unexpected(tokens.error());
    auto text = TextQueryDsl(*tokens);
    if (!text) return tl::unexpected(text.error());
    must = std::move(*text);
  }
  std::string body = R"({"bool":{"filter":[)";
  for (size_t i = 0; i < filters.size(); ++i) body += (i > 0 ? "," : "") + filters[i];
  body += "]";
  if (!must.empty()) body += R"(,"must":[)" + must + "]";
  body += "}}";
  return body;
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
  std::string settings = R"("number_of_replicas":)" + std::to_string(options.replicas);
  if (!options.policy.empty()) {
    settings += opensearch
                    ? R"(,"plugins.index_state_management.rollover_alias":)" + Quoted(options.alias)
                    : R"(,"index.lifecycle.name":)" + Quoted(options.policy) +
                          R"(,"index.lifecycle.rollover_alias":)" + Quoted(options.alias);
  }
  return R"({"index_patterns":[)" + Quoted(options.index_prefix + "-*") +
         R"(],"priority":100,"template":{"settings":{)" + settings +
         R"(},"mappings":{"dynamic_templates":[{"labels_as_keywords":{"path_match":"labels.*",)"
         R"("mapping":{"type":"keyword"}}}],"properties":{)"
         R"("timestamp":{"type":"date"},"ingested_at":{"type":"date"},)"
         R"("event_id":{"type":"keyword"},"service":{"type":"keyword"},)"
         R"("level":{"type":"keyword"},"host":{"type":"keyword"},)"
         R"("trace_id":{"type":"keyword"},"request_id":{"type":"keyword"},)"
         R"("message":{"type":"text"},"labels":{"type":"object"},"payload":)" +
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
  if (document.json.size() > 2) body += ',';
  body.append(std::string_view(document.json).substr(1));
  body += '\n';
}

Result<std::string> SearchBody(const SearchQuery& query) {
  auto bool_query = BoolQuery(query);
  if (!bool_query) return tl::unexpected(bool_query.error());
  std::string body = R"({"size":)" + std::to_string(std::min(query.limit + 1, kMaxSearchSize)) +
                     R"(,"track_total_hits":true,)"
                     R"("sort":[{"timestamp":{"order":"desc"}},{"event_id":{"order":"desc"}}],)"
                     R"("query":)" +
                     *bool_query;
  if (!query.cursor.empty()) {
    const auto colon = query.cursor.find(':');
    int64_t timestamp = 0;
    const char* end = query.cursor.data() + (colon == std::string::npos ? 0 : colon);
    if (colon == std::string::npos ||
        std::from_chars(query.cursor.data(), end, timestamp).ptr != end) {
      return Permanent("invalid cursor");
    }
    body += R"(,"search_after":[)" + std::to_string(timestamp) + "," +
            Quoted(std::string_view(query.cursor).substr(colon + 1)) + "]";
  }
  body += "}";
  return body;
}

Result<std::string> HistogramBody(const SearchQuery& query, int64_t interval_ms) {
  if (interval_ms <= 0) return Permanent("interval must be positive");
  auto bool_query = BoolQuery(query);
  if (!bool_query) return tl::unexpected(bool_query.error());
  return R"({"size":0,"query":)" + *bool_query +
         R"(,"aggs":{"buckets":{"date_histogram":{"field":"timestamp","fixed_interval":")" +
         std::to_string(interval_ms) +
         R"(ms","min_doc_count":1},"aggs":{"levels":{"terms":{"field":"level","size":16,)"
         R"("order":{"_key":"asc"}}}}}}})";
}

Result<std::string> TextQueryDsl(const std::vector<TextQueryToken>& tokens) {
  // Recursive descent with FTS5's precedence: NOT binds tightest ("a NOT b" is a without b),
  // then AND (also implied between neighbours), then OR.
  struct Builder {
    const std::vector<TextQueryToken>& tokens;
    size_t next = 0;

    [[nodiscard]] bool At(TextQueryToken::Kind kind) const {
      return next < tokens.size() && tokens[next].kind == kind;
    }

    Result<std::string> Or() {
      std::vector<std::string> any;
      do {
        auto part = And();
        if (!part) return part;
        any.push_back(std::move(*part));
      } while (At(TextQueryToken::Kind::kOr) && ++next);
      if (any.size() == 1) return any.front();
      std::string body = R"({"bool":{"should":[)";
      for (size_t i = 0; i < any.size(); ++i) body += (i > 0 ? "," : "") + any[i];
      return body + R"(],"minimum_should_match":1}})";
    }

    Result<std::string> And() {
      std::vector<std::string> all;
      std::vector<std::string> none;
      auto first = Unary();
      if (!first) return first;
      all.push_back(std::move(*first));
      while (next < tokens.size() && !At(TextQueryToken::Kind::kOr) &&
             !At(TextQueryToken::Kind::kClose)) {
        const bool negated = At(TextQueryToken::Kind::kNot);
        if (negated || At(TextQueryToken::Kind::kAnd)) ++next;
        auto part = Unary();
        if (!part) return part;
        (negated ? none : all).push_back(std::move(*part));
      }
      if (all.size() == 1 && none.empty()) return all.front();
      std::string body = R"({"bool":{"must":[)";
      for (size_t i = 0; i < all.size(); ++i) body += (i > 0 ? "," : "") + all[i];
      body += "]";
      if (!none.empty()) {
        body += R"(,"must_not":[)";
        for (size_t i = 0; i < none.size(); ++i) body += (i > 0 ? "," : "") + none[i];
        body += "]";
      }
      return body + "}}";
    }

    Result<std::string> Unary() {
      if (next >= tokens.size()) return Permanent("invalid query: it ends where a word is needed");
      const auto& token = tokens[next++];
      switch (token.kind) {
        case TextQueryToken::Kind::kWord:
        case TextQueryToken::Kind::kPhrase:
          // A word is the phrase of the tokens the analyzer splits it into, as in FTS5; a
          // prefix applies to its last token, with no cap on the terms it may match.
          if (token.prefix) {
            return R"({"match_phrase_prefix":{"message":{"query":)" + Quoted(token.text) +
                   R"(,"max_expansions":10000}}})";
          }
          return R"({"match_phrase":{"message":)" + Quoted(token.text) + "}}";
        case TextQueryToken::Kind::kOpen: {
          auto inner = Or();
          if (!inner) return inner;
          if (!At(TextQueryToken::Kind::kClose)) {
            return Permanent("invalid query: a parenthesis is not closed");
          }
          ++next;
          return inner;
        }
        default:
          return Permanent("invalid query: AND, OR, NOT or \")\" where a word is needed");
      }
    }
  };
  if (tokens.empty()) return Permanent("invalid query: no words");
  Builder builder{tokens};
  auto query = builder.Or();
  if (query && builder.next != tokens.size()) {
    return Permanent("invalid query: unexpected \")\"");
  }
  return query;
}

}  // namespace lp::search::elastic
