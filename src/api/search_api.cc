#include "api/search_api.h"

#include <charconv>

#include "core/json_escape.h"
#include "core/level.h"
#include "core/timestamp.h"
#include "core/units.h"
#include "core/url_query.h"

namespace lp::api {
namespace {

http::Response StoreError(const Error& error) {
  if (error.error_class == ErrorClass::kPermanent) return http::ErrorResponse(400, error.message);
  if (error.error_class == ErrorClass::kStorageFault) {
    return http::ErrorResponse(500, "search store damaged: " + error.message);
  }
  auto response = http::ErrorResponse(503, "search store unavailable: " + error.message);
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

// Reads the filters shared by both endpoints; the error names the bad parameter.
tl::expected<search::SearchQuery, std::string> ParseFilters(
    const std::map<std::string, std::string>& parameters) {
  search::SearchQuery query;
  const auto get = [&](const char* name) -> const std::string* {
    const auto found = parameters.find(name);
    return found == parameters.end() || found->second.empty() ? nullptr : &found->second;
  };
  if (const auto* q = get("q")) {
    auto parsed = search::ParseQuery(*q);
    if (!parsed) return tl::unexpected("q: " + parsed.error().message);
    query.filter = std::move(*parsed);
  }
  if (const auto* service = get("service")) {
    query.filter =
        search::AndQuery(std::move(query.filter), search::FieldEquals("service", *service));
  }
  if (const auto* level = get("level")) {
    const auto parsed = ParseLevel(*level);
    if (!parsed) return tl::unexpected("level: unknown level \"" + *level + "\"");
    query.filter = search::AndQuery(std::move(query.filter),
                                    search::FieldEquals("level", std::string(LevelName(*parsed))));
  }
  for (const auto& [name, target] :
       {std::pair{"from", &query.from_ms}, std::pair{"to", &query.to_ms}}) {
    if (const auto* text = get(name)) {
      const auto millis = ParseRfc3339(*text);
      if (!millis)
        return tl::unexpected(std::string(name) + ": not an RFC 3339 time: \"" + *text + "\"");
      *target = *millis;
    }
  }
  if (const auto* limit = get("limit")) {
    size_t value = 0;
    const auto [end, error] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (error != std::errc{} || end != limit->data() + limit->size() || value == 0 ||
        value > 10'000) {
      return tl::unexpected("limit: must be a whole number from 1 to 10000, not \"" + *limit +
                            "\"");
    }
    query.limit = value;
  }
  if (const auto* cursor = get("cursor")) {
    auto position = search::ParseCursor(*cursor);
    if (!position) return tl::unexpected("cursor: " + position.error().message);
    query.after = std::move(*position);
  }
  if (const auto* track = get("track_total")) {
    if (*track != "true" && *track != "false") {
      return tl::unexpected("track_total: must be true or false, not \"" + *track + "\"");
    }
    if (*track == "true") query.total_limit.reset();
  }
  return query;
}

}  // namespace

void SearchApi::HandleSearch(http::Request& request, http::Responder respond) {
  const auto parameters = ParseUrlQuery(request.query);
  if (!parameters) return respond(http::ErrorResponse(400, "malformed query string"));
  auto query = ParseFilters(*parameters);
  if (!query) return respond(http::ErrorResponse(400, query.error()));
  const auto page = store_.Search(*query);
  if (!page) return respond(StoreError(page.error()));
  std::string body = "{\"total\":" + std::to_string(page->total) + ",\"total_relation\":\"" +
                     (page->total_relation == search::TotalRelation::kEqual ? "eq" : "gte") +
                     "\",\"hits\":[";
  for (size_t i = 0; i < page->hits.size(); ++i) {
    if (i > 0) body += ',';
    // The document with its id first, as `_id`: the id tells a re-written document from a
    // duplicate across stores.
    const auto& hit = page->hits[i];
    body += "{\"_id\":\"";
    AppendJsonEscaped(body, hit.id);
    body += '"';
    if (hit.json.size() > 2) body += ',';
    body.append(hit.json, 1);
  }
  body += "],\"cursor\":";
  if (!page->next) {
    body += "null";
  } else {
    body += '"';
    AppendJsonEscaped(body, search::FormatCursor(*page->next));
    body += '"';
  }
  body += '}';
  respond(http::JsonResponse(200, std::move(body)));
}

void SearchApi::HandleHistogram(http::Request& request, http::Responder respond) {
  const auto parameters = ParseUrlQuery(request.query);
  if (!parameters) return respond(http::ErrorResponse(400, "malformed query string"));
  auto query = ParseFilters(*parameters);
  if (!query) return respond(http::ErrorResponse(400, query.error()));
  std::chrono::milliseconds interval{60'000};
  if (const auto found = parameters->find("interval"); found != parameters->end()) {
    const auto parsed = ParseDuration(found->second);
    if (!parsed || parsed->count() <= 0) {
      return respond(http::ErrorResponse(
          400,
          "interval: must be a duration such as 10s, 1m or 1h, not \"" + found->second + "\""));
    }
    interval = *parsed;
  }
  const auto buckets = store_.Histogram(*query, {.interval_ms = interval.count()});
  if (!buckets) return respond(StoreError(buckets.error()));
  std::string body = "{\"interval_ms\":" + std::to_string(interval.count()) + ",\"buckets\":[";
  for (size_t i = 0; i < buckets->size(); ++i) {
    const auto& bucket = (*buckets)[i];
    if (i > 0) body += ',';
    body += "{\"start\":\"" + FormatRfc3339Millis(bucket.start_ms) + "\",\"level\":\"";
    AppendJsonEscaped(body, bucket.value);
    body += "\",\"count\":" + std::to_string(bucket.count) + "}";
  }
  body += "]}";
  respond(http::JsonResponse(200, std::move(body)));
}

}  // namespace lp::api
