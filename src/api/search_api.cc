#include "api/search_api.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>

#include "core/event_tenant.h"
#include "core/json_escape.h"
#include "core/level.h"
#include "core/timestamp.h"
#include "core/units.h"
#include "core/url_query.h"

namespace lp::api {
namespace {

using Parameters = std::map<std::string, std::string>;

http::Response StoreError(const Error& error, const search::Cancellation& cancellation,
                          std::chrono::milliseconds timeout) {
  if (error.error_class == ErrorClass::kPermanent) return http::ErrorResponse(400, error.message);
  if (error.error_class == ErrorClass::kStorageFault) {
    return http::ErrorResponse(500, "search store damaged: " + error.message);
  }
  if (error.error_class == ErrorClass::kNotFound) return http::ErrorResponse(404, error.message);
  // The answer reaches nobody; the status (nginx's "client closed request") is for the access
  // metrics.
  if (cancellation.client_gone()) {
    return http::ErrorResponse(499, "the client closed the connection before the answer");
  }
  if (cancellation.cancelled()) {
    return http::ErrorResponse(504, "the query ran longer than " + std::to_string(timeout.count()) +
                                        "ms" + " (QUERY_TIMEOUT) and was stopped");
  }
  auto response = http::ErrorResponse(503, "search store unavailable: " + error.message);
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

const std::string* Get(const Parameters& parameters, const char* name) {
  const auto found = parameters.find(name);
  return found == parameters.end() || found->second.empty() ? nullptr : &found->second;
}

tl::expected<size_t, std::string> Count(const Parameters& parameters, const char* name,
                                        size_t fallback, size_t low, size_t high) {
  const auto* text = Get(parameters, name);
  if (text == nullptr) return fallback;
  size_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc{} || end != text->data() + text->size() || value < low || value > high) {
    return tl::unexpected(std::string(name) + ": must be a whole number from " +
                          std::to_string(low) + " to " + std::to_string(high) + ", not \"" + *text +
                          "\"");
  }
  return value;
}

// A query token sees its own tenant's events only: whatever `q` says, this is ANDed to it.
search::QueryNode OnlyTenant(search::QueryNode filter, const std::string& tenant) {
  if (tenant.empty()) return filter;
  return search::AndQuery(std::move(filter),
                          search::FieldEquals(std::string(kTenantField), tenant));
}

// Reads the filters shared by every endpoint; the error names the bad parameter. `tenant`:
// the requester's (empty with authentication off).
tl::expected<search::SearchQuery, std::string> ParseFilters(const Parameters& parameters,
                                                            const std::string& tenant) {
  search::SearchQuery query;
  if (const auto* q = Get(parameters, "q")) {
    auto parsed = search::ParseQuery(*q);
    if (!parsed) return tl::unexpected("q: " + parsed.error().message);
    query.filter = std::move(*parsed);
  }
  query.filter = OnlyTenant(std::move(query.filter), tenant);
  if (const auto* service = Get(parameters, "service")) {
    query.filter =
        search::AndQuery(std::move(query.filter), search::FieldEquals("service", *service));
  }
  if (const auto* level = Get(parameters, "level")) {
    const auto parsed = ParseLevel(*level);
    if (!parsed) return tl::unexpected("level: unknown level \"" + *level + "\"");
    query.filter = search::AndQuery(std::move(query.filter),
                                    search::FieldEquals("level", std::string(LevelName(*parsed))));
  }
  for (const auto& [name, target] :
       {std::pair{"from", &query.from_ms}, std::pair{"to", &query.to_ms}}) {
    if (const auto* text = Get(parameters, name)) {
      const auto millis = ParseRfc3339(*text);
      if (!millis) {
        return tl::unexpected(std::string(name) + ": not an RFC 3339 time: \"" + *text + "\"");
      }
      *target = *millis;
    }
  }
  const auto limit = Count(parameters, "limit", 100, 1, search::kMaxPageSize);
  if (!limit) return tl::unexpected(limit.error());
  query.limit = *limit;
  if (const auto* cursor = Get(parameters, "cursor")) {
    auto position = search::ParseCursor(*cursor);
    if (!position) return tl::unexpected("cursor: " + position.error().message);
    query.after = std::move(*position);
  }
  if (const auto* track = Get(parameters, "track_total")) {
    if (*track != "true" && *track != "false") {
      return tl::unexpected("track_total: must be true or false, not \"" + *track + "\"");
    }
    if (*track == "true") query.total_limit.reset();
  }
  return query;
}

// The document with its id first, as `_id`: the id tells a re-written document from a
// duplicate across stores.
void AppendHit(std::string& body, const search::SearchHit& hit) {
  body += "{\"_id\":\"";
  AppendJsonEscaped(body, hit.id);
  body += '"';
  if (hit.json.size() > 2) body += ',';
  body.append(hit.json, 1);
}

void AppendHits(std::string& body, const std::vector<search::SearchHit>& hits) {
  body += '[';
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i > 0) body += ',';
    AppendHit(body, hits[i]);
  }
  body += ']';
}

const char* RelationName(search::TotalRelation relation) {
  return relation == search::TotalRelation::kEqual ? "eq" : "gte";
}

// Bucket sizes `interval=auto` picks from: the smallest giving at most 120 buckets.
constexpr int64_t kAutoIntervals[] = {
    1'000,      2'000,      5'000,      10'000,     15'000,      30'000,      60'000,
    120'000,    300'000,    600'000,    900'000,    1'800'000,   3'600'000,   7'200'000,
    10'800'000, 21'600'000, 43'200'000, 86'400'000, 172'800'000, 604'800'000, 2'592'000'000};

int64_t AutoInterval(int64_t span_ms) {
  for (const int64_t interval : kAutoIntervals) {
    if (span_ms / interval <= 120) return interval;
  }
  return span_ms / 120 + 1;
}

}  // namespace

SearchApi::SearchApi(search::SearchStore& store, QueryPool& pool, TailOptions tail)
    : store_(store), pool_(pool), tail_options_(tail) {}

SearchApi::~SearchApi() { Stop(); }

namespace {

// Parses the request's query string; on failure answers 400 and returns nullopt.
std::optional<Parameters> ParametersOf(const http::Request& request,
                                       const http::Responder& respond) {
  auto parameters = ParseUrlQuery(request.query);
  if (!parameters) respond(http::ErrorResponse(400, "malformed query string"));
  return parameters ? std::optional(std::move(*parameters)) : std::nullopt;
}

}  // namespace

void SearchApi::HandleSearch(http::Request& request, http::Responder respond) {
  const auto parameters = ParametersOf(request, respond);
  if (!parameters) return;
  auto query = ParseFilters(*parameters, request.tenant);
  if (!query) return respond(http::ErrorResponse(400, query.error()));
  RunOnPool(pool_, request, std::move(respond),
            [this, query = std::move(*query)](const search::Cancellation& cancellation) mutable {
              query.cancellation = &cancellation;
              const auto page = store_.Search(query);
              if (!page) return StoreError(page.error(), cancellation, pool_.timeout());
              std::string body = "{\"total\":" + std::to_string(page->total) +
                                 ",\"total_relation\":\"" + RelationName(page->total_relation) +
                                 "\",\"hits\":";
              AppendHits(body, page->hits);
              body += ",\"cursor\":";
              if (!page->next) {
                body += "null";
              } else {
                body += '"';
                AppendJsonEscaped(body, search::FormatCursor(*page->next));
                body += '"';
              }
              body += '}';
              return http::JsonResponse(200, std::move(body));
            });
}

void SearchApi::HandleHistogram(http::Request& request, http::Responder respond) {
  const auto parameters = ParametersOf(request, respond);
  if (!parameters) return;
  auto query = ParseFilters(*parameters, request.tenant);
  if (!query) return respond(http::ErrorResponse(400, query.error()));
  search::HistogramRequest histogram;
  bool automatic = false;
  if (const auto* interval = Get(*parameters, "interval")) {
    automatic = *interval == "auto";
    const auto parsed = ParseDuration(*interval);
    if (!automatic && (!parsed || parsed->count() <= 0)) {
      return respond(http::ErrorResponse(
          400,
          "interval: must be auto or a duration such as 10s, 1m or 1h, not \"" + *interval + "\""));
    }
    if (!automatic) histogram.interval_ms = parsed->count();
  }
  if (const auto* by = Get(*parameters, "by")) {
    if (*by != "level") {
      if (auto checked = search::CheckGroupingField(*by); !checked) {
        return respond(http::ErrorResponse(400, "by: " + checked.error().message));
      }
    }
    histogram.by = *by;
  }
  const auto groups = Count(*parameters, "groups", 10, 1, 100);
  if (!groups) return respond(http::ErrorResponse(400, groups.error()));
  histogram.groups = *groups;
  RunOnPool(pool_, request, std::move(respond),
            [this, query = std::move(*query), histogram,
             automatic](const search::Cancellation& cancellation) mutable -> http::Response {
              query.cancellation = &cancellation;
              if (automatic) {
                // The range asked for; an open end is where the matching events end.
                int64_t from = query.from_ms.value_or(0);
                int64_t to = query.to_ms.value_or(0);
                for (const auto order :
                     {search::SortOrder::kOldestFirst, search::SortOrder::kNewestFirst}) {
                  const bool oldest = order == search::SortOrder::kOldestFirst;
                  if ((oldest && query.from_ms) || (!oldest && query.to_ms)) continue;
                  auto edge = query;
                  edge.order = order;
                  edge.limit = 1;
                  edge.total_limit = 0;
                  const auto page = store_.Search(edge);
                  if (!page) return StoreError(page.error(), cancellation, pool_.timeout());
                  if (page->hits.empty()) continue;
                  (oldest ? from : to) = page->hits.front().timestamp_ms + (oldest ? 0 : 1);
                }
                histogram.interval_ms = AutoInterval(std::max<int64_t>(to - from, 1));
              }
              const auto buckets = store_.Histogram(query, histogram);
              if (!buckets) return StoreError(buckets.error(), cancellation, pool_.timeout());
              const std::string key = histogram.by == "level" ? "level" : "value";
              std::string body =
                  "{\"interval_ms\":" + std::to_string(histogram.interval_ms) + ",\"buckets\":[";
              for (size_t i = 0; i < buckets->size(); ++i) {
                const auto& bucket = (*buckets)[i];
                if (i > 0) body += ',';
                body += "{\"start\":\"" + FormatRfc3339Millis(bucket.start_ms) + "\",\"" + key +
                        "\":\"";
                AppendJsonEscaped(body, bucket.value);
                body += "\",\"count\":" + std::to_string(bucket.count) + "}";
              }
              body += "]}";
              return http::JsonResponse(200, std::move(body));
            });
}

void SearchApi::HandleFacets(http::Request& request, http::Responder respond) {
  const auto parameters = ParametersOf(request, respond);
  if (!parameters) return;
  auto query = ParseFilters(*parameters, request.tenant);
  if (!query) return respond(http::ErrorResponse(400, query.error()));
  const auto* field = Get(*parameters, "field");
  if (field == nullptr) return respond(http::ErrorResponse(400, "field: required, e.g. service"));
  if (auto checked = search::CheckGroupingField(*field); !checked) {
    return respond(http::ErrorResponse(400, checked.error().message));
  }
  const auto size = Count(*parameters, "size", 10, 1, 1000);
  if (!size) return respond(http::ErrorResponse(400, size.error()));
  RunOnPool(pool_, request, std::move(respond),
            [this, query = std::move(*query), field = *field,
             size = *size](const search::Cancellation& cancellation) mutable {
              query.cancellation = &cancellation;
              const auto facets = store_.Facet(query, field, size);
              if (!facets) return StoreError(facets.error(), cancellation, pool_.timeout());
              std::string body = "{\"field\":\"";
              AppendJsonEscaped(body, field);
              body += "\",\"values\":[";
              for (size_t i = 0; i < facets->values.size(); ++i) {
                if (i > 0) body += ',';
                body += "{\"value\":\"";
                AppendJsonEscaped(body, facets->values[i].value);
                body += "\",\"count\":" + std::to_string(facets->values[i].count) + "}";
              }
              body += "],\"other\":" + std::to_string(facets->other) + ",\"total_relation\":\"" +
                      RelationName(facets->relation) + "\"}";
              return http::JsonResponse(200, std::move(body));
            });
}

void SearchApi::HandleContext(http::Request& request, http::Responder respond) {
  const auto parameters = ParametersOf(request, respond);
  if (!parameters) return;
  const auto* id = Get(*parameters, "id");
  if (id == nullptr) return respond(http::ErrorResponse(400, "id: required, an event's _id"));
  const auto before = Count(*parameters, "before", 10, 0, 1000);
  if (!before) return respond(http::ErrorResponse(400, before.error()));
  const auto after = Count(*parameters, "after", 10, 0, 1000);
  if (!after) return respond(http::ErrorResponse(400, after.error()));
  RunOnPool(
      pool_, request, std::move(respond),
      [this, id = *id, before = *before, after = *after,
       tenant = request.tenant](const search::Cancellation& cancellation) -> http::Response {
        const auto event = store_.Get(id);
        if (!event) return StoreError(event.error(), cancellation, pool_.timeout());
        // The same service and host as the event (no host: events without one).
        simdjson::dom::parser parser;
        simdjson::dom::element document;
        std::string_view service;
        std::string_view host;
        if (parser.parse(event->json).get(document) != simdjson::SUCCESS ||
            document["service"].get_string().get(service) != simdjson::SUCCESS) {
          return http::ErrorResponse(500, "stored event " + id + " has no service");
        }
        // Another tenant's event is answered as if it did not exist.
        std::string_view event_tenant;
        if (!tenant.empty() &&
            (document[kTenantField].get_string().get(event_tenant) != simdjson::SUCCESS ||
             event_tenant != tenant)) {
          return http::ErrorResponse(404, "no event " + id);
        }
        search::QueryNode filter =
            OnlyTenant(search::FieldEquals("service", std::string(service)), tenant);
        if (document["host"].get_string().get(host) == simdjson::SUCCESS) {
          filter =
              search::AndQuery(std::move(filter), search::FieldEquals("host", std::string(host)));
        } else {
          auto any_host = search::FieldEquals("host", "");
          any_host.match = search::QueryNode::Match::kPrefix;
          filter = search::AndQuery(
              std::move(filter),
              search::QueryNode{.kind = search::QueryNode::Kind::kNot, .children = {any_host}});
        }
        const search::Position anchor{event->timestamp_ms, event->id};
        std::vector<search::SearchHit> sides[2];
        for (const bool older : {true, false}) {
          const size_t limit = older ? before : after;
          if (limit == 0) continue;
          const auto page = store_.Search(search::SearchQuery{
              .filter = filter,
              .order = older ? search::SortOrder::kNewestFirst : search::SortOrder::kOldestFirst,
              .after = anchor,
              .limit = limit,
              .total_limit = 0,
              .cancellation = &cancellation});
          if (!page) return StoreError(page.error(), cancellation, pool_.timeout());
          sides[older ? 0 : 1] = page->hits;
        }
        std::ranges::reverse(sides[0]);  // Oldest first.
        std::string body = "{\"before\":";
        AppendHits(body, sides[0]);
        body += ",\"event\":";
        AppendHit(body, *event);
        body += ",\"after\":";
        AppendHits(body, sides[1]);
        body += '}';
        return http::JsonResponse(200, std::move(body));
      });
}

// One open /api/tail: the query, the position of the last event sent, the stream.
struct SearchApi::Tail {
  search::SearchQuery query;
  std::optional<search::Position> position;
  std::shared_ptr<http::BodyStream> stream;
};

void SearchApi::HandleTail(http::Request& request, http::Responder respond) {
  const auto parameters = ParametersOf(request, respond);
  if (!parameters) return;
  auto query = ParseFilters(*parameters, request.tenant);
  if (!query) return respond(http::ErrorResponse(400, query.error()));
  auto tail = std::make_shared<Tail>();
  tail->query = std::move(*query);
  tail->query.total_limit = 0;
  // Where to resume: Last-Event-ID, else `cursor`, else the newest `limit` events (default 10).
  if (!request.last_event_id.empty()) {
    auto position = search::ParseCursor(request.last_event_id);
    if (!position)
      return respond(http::ErrorResponse(400, "Last-Event-ID: " + position.error().message));
    tail->position = std::move(*position);
  } else if (tail->query.after) {
    tail->position = tail->query.after;
  } else if (!Get(*parameters, "limit")) {
    tail->query.limit = 10;
  }
  {
    std::lock_guard lock(tails_mutex_);
    if (stopping_ || open_tails_ >= tail_options_.max_tails) {
      auto response = http::ErrorResponse(429, "too many tails open; retry in a moment");
      response.headers.emplace_back("Retry-After", "5");
      return respond(std::move(response));
    }
    ++open_tails_;
  }
  http::Response response;
  response.content_type = "text/event-stream";
  response.stream = [this, tail](std::shared_ptr<http::BodyStream> stream) {
    tail->stream = std::move(stream);
    std::lock_guard lock(tails_mutex_);
    if (stopping_) {
      tail->stream->End();
      --open_tails_;
      return;
    }
    // Threads of tails that ended are joined here, so that they do not pile up.
    std::erase_if(tail_threads_, [](TailThread& thread) {
      if (!thread.done->load()) return false;
      thread.thread.join();
      return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    tail_threads_.push_back(TailThread{std::thread([this, tail, done] {
                                         RunTail(tail);
                                         done->store(true);
                                       }),
                                       done});
  };
  respond(std::move(response));
}

void SearchApi::RunTail(std::shared_ptr<Tail> tail) {
  using Clock = std::chrono::steady_clock;
  auto last_write = Clock::now();
  bool first = !tail->position;
  while (true) {
    {
      std::unique_lock lock(tails_mutex_);
      if (stopping_) break;
    }
    if (!tail->stream->open()) break;  // The client went away.
    std::vector<search::SearchHit> hits;
    const search::Cancellation cancellation(Clock::now() + pool_.timeout());
    auto query = tail->query;
    query.cancellation = &cancellation;
    if (first) {
      // The newest events to start with, sent oldest first.
      auto page = store_.Search(query);
      if (page) {
        hits = std::move(page->hits);
        std::ranges::reverse(hits);
        first = false;
      }
    } else {
      query.order = search::SortOrder::kOldestFirst;
      query.after = tail->position;
      query.limit = std::min<size_t>(query.limit, 1000);
      auto page = store_.Search(query);
      if (page) hits = std::move(page->hits);
    }
    for (const auto& hit : hits) {
      tail->position = search::Position{hit.timestamp_ms, hit.id};
      std::string event = "id: " + search::FormatCursor(*tail->position) + "\ndata: ";
      AppendHit(event, hit);
      event += "\n\n";
      if (!tail->stream->Write(std::move(event))) break;
      last_write = Clock::now();
    }
    if (Clock::now() - last_write >= tail_options_.keep_alive) {
      if (!tail->stream->Write(": keep-alive\n\n")) break;
      last_write = Clock::now();
    }
    if (!hits.empty() && hits.size() >= query.limit) continue;  // More are waiting.
    std::unique_lock lock(tails_mutex_);
    tails_wake_.wait_for(lock, tail_options_.poll_interval, [this] { return stopping_; });
  }
  tail->stream->End();
  std::lock_guard lock(tails_mutex_);
  --open_tails_;
}

void SearchApi::Stop() {
  std::vector<TailThread> threads;
  {
    std::lock_guard lock(tails_mutex_);
    stopping_ = true;
    threads = std::move(tail_threads_);
  }
  tails_wake_.notify_all();
  for (auto& thread : threads) thread.thread.join();
}

}  // namespace lp::api
