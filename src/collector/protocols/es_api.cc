#include "collector/protocols/es_api.h"

#include <chrono>

#include "collector/protocol_request.h"
#include "core/json_escape.h"

namespace lp::collector {
namespace {

// The version shippers see: 8.x, the line whose APIs and answers logpipe follows.
constexpr std::string_view kVersion = "8.17.0";

http::Response EsJson(unsigned status, std::string body) {
  auto response = http::JsonResponse(status, std::move(body));
  response.headers.emplace_back("X-Elastic-Product", "Elasticsearch");
  return response;
}

http::Response EsError(unsigned status, std::string_view type, std::string_view reason) {
  std::string cause = "{\"type\":\"";
  AppendJsonEscaped(cause, type);
  cause += "\",\"reason\":\"";
  AppendJsonEscaped(cause, reason);
  cause += "\"";
  return EsJson(status, "{\"error\":{\"root_cause\":[" + cause + "}]," + cause.substr(1) +
                            "},\"status\":" + std::to_string(status) + "}");
}

std::string RootJson() {
  return std::string(R"({"name":"logpipe","cluster_name":"logpipe","cluster_uuid":"logpipe",)") +
         R"("version":{"number":")" + std::string(kVersion) +
         R"(","build_flavor":"default","build_type":"logpipe","build_hash":"logpipe",)"
         R"("build_date":"2024-12-11T00:00:00.000Z","build_snapshot":false,)"
         R"("lucene_version":"9.12.0","minimum_wire_compatibility_version":"7.17.0",)"
         R"("minimum_index_compatibility_version":"7.0.0"},"tagline":"You Know, for Search"})";
}

constexpr std::string_view kLicense =
    R"({"license":{"status":"active","uid":"logpipe","type":"basic","issue_date":"2024-01-01T00:00:00.000Z",)"
    R"("issue_date_in_millis":1704067200000,"max_nodes":1000,"max_resource_units":null,)"
    R"("issued_to":"logpipe","issuer":"logpipe","start_date_in_millis":-1}})";
constexpr std::string_view kXpack =
    R"({"build":{"hash":"logpipe","date":"2024-12-11T00:00:00.000Z"},)"
    R"("license":{"uid":"logpipe","type":"basic","mode":"basic","status":"active"},"features":{}})";
constexpr std::string_view kHealth =
    R"({"cluster_name":"logpipe","status":"green","timed_out":false,"number_of_nodes":1,)"
    R"("number_of_data_nodes":1,"active_primary_shards":1,"active_shards":1,"relocating_shards":0,)"
    R"("initializing_shards":0,"unassigned_shards":0,"delayed_unassigned_shards":0,)"
    R"("number_of_pending_tasks":0,"number_of_in_flight_fetch":0,)"
    R"("task_max_waiting_in_queue_millis":0,"active_shards_percent_as_number":100.0})";

std::string NodesJson() {
  return R"({"_nodes":{"total":1,"successful":1,"failed":0},"cluster_name":"logpipe",)"
         R"("nodes":{"logpipe":{"name":"logpipe","version":")" +
         std::string(kVersion) + R"(","roles":["data","ingest","master"]}}})";
}

http::Handler Fixed(std::string body) {
  return [body = std::move(body)](http::Request&, http::Responder respond) {
    respond(EsJson(200, body));
  };
}

// Templates, ILM policies, pipelines and aliases: logpipe manages its own store, so setting one
// is acknowledged and ignored, and asking for one finds none (shippers then set it, harmlessly).
void AnswerAcknowledged(http::Request&, http::Responder respond) {
  respond(EsJson(200, R"({"acknowledged":true})"));
}
void AnswerNotFound(http::Request& request, http::Responder respond) {
  if (request.method == "HEAD") return respond(EsJson(404, ""));
  respond(EsError(404, "resource_not_found_exception",
                  "logpipe keeps no " + request.path + ": it manages its own store"));
}

// Shippers retry a bulk request answered 429, after Retry-After: the answer both to a full
// queue and to a tenant over its rate.
http::Response NotStoredResponse(const StoreOutcome& outcome) {
  if (outcome.kind == StoreOutcome::Kind::kFailed) {
    return EsError(500, "exception", outcome.message);
  }
  auto response = EsError(429, "es_rejected_execution_exception", outcome.message);
  response.headers.emplace_back("Retry-After", outcome.RetryAfter());
  return response;
}

}  // namespace

std::string BulkAnswerJson(const BulkBatch& batch, long long took_ms) {
  std::string out = "{\"took\":" + std::to_string(took_ms) + ",\"errors\":";
  out += batch.events.rejected > 0 ? "true" : "false";
  out += ",\"items\":[";
  bool first = true;
  for (const auto& item : batch.items) {
    if (!first) out += ',';
    first = false;
    out += "{\"";
    out += item.action;
    out += "\":{\"_index\":\"";
    AppendJsonEscaped(out, item.index);
    out += "\",\"_id\":\"";
    AppendJsonEscaped(out, item.id);
    out += "\",\"status\":" + std::to_string(item.status);
    if (item.error_type.empty()) {
      out += R"(,"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},)"
             R"("_seq_no":0,"_primary_term":1)";
    } else {
      out += ",\"error\":{\"type\":\"";
      AppendJsonEscaped(out, item.error_type);
      out += "\",\"reason\":\"";
      AppendJsonEscaped(out, item.error_reason);
      out += "\"}";
    }
    out += "}}";
  }
  out += "]}";
  return out;
}

ElasticsearchApi::ElasticsearchApi(DecodeOptions options, IngestPipeline& pipeline)
    : pipeline_(pipeline),
      metrics_(pipeline.metrics().ForProtocol("elasticsearch")),
      pool_([options] { return std::make_unique<Decoding>(options); },
            [](const Decoding& decoding) {
              return decoding.batch.events.json.capacity() <= kPooledBufferBytes;
            }) {}

http::Response ElasticsearchApi::Refusal(const http::Request&,
                                         const security::Authenticator::Refusal& refusal) {
  if (refusal.status != 401) return EsError(refusal.status, "security_exception", refusal.reason);
  auto response = EsError(401, "security_exception",
                          refusal.reason +
                              ": send the token as an API key, a bearer token or "
                              "the password of basic authentication");
  response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"logpipe\"");
  response.headers.emplace_back("WWW-Authenticate", "ApiKey");
  return response;
}

http::Handler ElasticsearchApi::RootHandler() {
  return [](http::Request& request, http::Responder respond) {
    respond(EsJson(200, request.method == "HEAD" ? "" : RootJson()));
  };
}

std::vector<http::Route> ElasticsearchApi::Routes() {
  const http::Handler bulk = [this](http::Request& request, http::Responder respond) {
    HandleBulk(request, std::move(respond));
  };
  std::vector<http::Route> routes;
  const auto add = [&](const std::string& method, const std::string& path,
                       const http::Handler& handler) {
    routes.push_back(http::Route{method, path, handler});
    routes.push_back(http::Route{method, "/es" + path, handler});
  };
  // Exact paths before the patterns that could also match them (`/es/_bulk` is not an index).
  for (const char* method : {"POST", "PUT"}) add(method, "/_bulk", bulk);
  add("HEAD", "/", RootHandler());
  routes.push_back(http::Route{"GET", "/es", RootHandler()});
  routes.push_back(http::Route{"GET", "/es/", RootHandler()});
  add("GET", "/_license", Fixed(std::string(kLicense)));
  add("GET", "/_xpack", Fixed(std::string(kXpack)));
  add("GET", "/_cluster/health/**", Fixed(std::string(kHealth)));
  add("GET", "/_nodes/**", Fixed(NodesJson()));
  for (const char* managed :
       {"/_index_template/**", "/_template/**", "/_component_template/**", "/_ilm/policy/**",
        "/_ingest/pipeline/**", "/_alias/**", "/_data_stream/**"}) {
    for (const char* method : {"GET", "HEAD"}) add(method, managed, AnswerNotFound);
    for (const char* method : {"PUT", "POST"}) add(method, managed, AnswerAcknowledged);
  }
  for (const char* method : {"POST", "PUT"}) add(method, "/*/_bulk", bulk);
  return routes;
}

void ElasticsearchApi::HandleBulk(http::Request& request, http::Responder respond) {
  const auto started = std::chrono::steady_clock::now();
  DecodeAndStore<Decoding>(
      pipeline_, metrics_, pool_, request, std::move(respond),
      {.decode =
           [&request](Decoding& decoding) {
             return decoding.decoder.Decode(IndexOfBulkPath(request.path), request.content_encoding,
                                            request.body, decoding.batch, request.tenant);
           },
       .refused =
           [](const RequestFailure& failure) {
             return EsError(failure.status,
                            failure.status == 400   ? "illegal_argument_exception"
                            : failure.status == 413 ? "content_too_long_exception"
                                                    : "content_type_exception",
                            failure.message);
           },
       .stored =
           [started](const Decoding& decoding) {
             const long long took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - started)
                                           .count();
             return EsJson(200, BulkAnswerJson(decoding.batch, took_ms));
           },
       .not_stored = NotStoredResponse});
}

}  // namespace lp::collector
