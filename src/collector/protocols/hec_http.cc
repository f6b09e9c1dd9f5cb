#include "collector/protocols/hec_http.h"

#include "collector/protocol_request.h"
#include "core/json_escape.h"
#include "core/url_query.h"

namespace lp::collector {
namespace {

// HEC's answer codes (Splunk's "Troubleshoot HTTP Event Collector" table).
constexpr int kSuccess = 0;
constexpr int kTokenRequired = 2;
constexpr int kInvalidToken = 4;
constexpr int kNoData = 5;
constexpr int kInvalidDataFormat = 6;
constexpr int kServerBusy = 9;
constexpr int kEventRequired = 12;
constexpr int kEventBlank = 13;
constexpr int kHealthy = 17;
constexpr int kQueuesFull = 18;

http::Response NotStoredResponse(const StoreOutcome& outcome) {
  if (outcome.kind == StoreOutcome::Kind::kFailed) return HecAnswer(500, 8, outcome.message);
  auto response = HecAnswer(outcome.kind == StoreOutcome::Kind::kRateLimited ? 429 : 503,
                            kServerBusy, outcome.message);
  response.headers.emplace_back("Retry-After", outcome.RetryAfter());
  return response;
}

int CodeOfEventError(std::string_view message) {
  if (message == kHecEventRequired) return kEventRequired;
  if (message == kHecEventBlank) return kEventBlank;
  return kInvalidDataFormat;
}

}  // namespace

http::Response HecAnswer(unsigned status, int code, std::string_view text,
                         std::optional<size_t> invalid_event) {
  std::string body = "{\"text\":\"";
  AppendJsonEscaped(body, text);
  body += "\",\"code\":" + std::to_string(code);
  if (invalid_event) body += ",\"invalid-event-number\":" + std::to_string(*invalid_event);
  body += '}';
  return http::JsonResponse(status, std::move(body));
}

HecHandler::HecHandler(DecodeOptions options, IngestPipeline& pipeline, queue::Queue& queue)
    : pipeline_(pipeline),
      queue_(queue),
      metrics_(pipeline.metrics().ForProtocol("splunk_hec")),
      pool_(DecoderPool<Decoding>::ForBatches(options)) {}

http::Response HecHandler::Refusal(const http::Request& request,
                                   const security::Authenticator::Refusal& refusal) {
  if (request.authorization.empty()) return HecAnswer(401, kTokenRequired, "Token is required");
  return HecAnswer(403, kInvalidToken, "Invalid token: " + refusal.reason);
}

std::vector<http::Route> HecHandler::IngestRoutes() {
  std::vector<http::Route> routes;
  for (const bool raw : {false, true}) {
    const http::Handler handler = [this, raw](http::Request& request, http::Responder respond) {
      Handle(raw, request, std::move(respond));
    };
    const std::string path = raw ? "/services/collector/raw" : "/services/collector/event";
    routes.push_back(http::Route{"POST", path, handler});
    routes.push_back(http::Route{"POST", path + "/1.0", handler});
    if (!raw) routes.push_back(http::Route{"POST", "/services/collector", handler});
  }
  return routes;
}

http::Route HecHandler::HealthRoute() {
  // Load balancers and shippers (Splunk's own forwarders among them) probe it to stop sending to
  // an instance that would refuse: a queue that takes no writes (full, or unreachable) is
  // answered as Splunk answers full queues. The reason is /readyz's.
  return http::Route{
      "GET", "/services/collector/health/**", [this](http::Request&, http::Responder respond) {
        if (!queue_.CheckReady()) {
          return respond(HecAnswer(503, kQueuesFull, "HEC is unhealthy, queues are full"));
        }
        respond(HecAnswer(200, kHealthy, "HEC is healthy"));
      }};
}

void HecHandler::Handle(bool raw, http::Request& request, http::Responder respond) {
  const auto decode = [&request, raw](Decoding& decoding) -> tl::expected<void, RequestFailure> {
    if (!raw) {
      return decoding.decoder.DecodeEvents(request.content_encoding, request.body, decoding.batch,
                                           request.tenant);
    }
    const auto parameters = ParseUrlQuery(request.query);
    if (!parameters) return tl::unexpected(RequestFailure{400, "malformed query string"});
    HecMetadata metadata;
    for (auto [name, field] : {std::pair{"host", &metadata.host},
                               {"source", &metadata.source},
                               {"sourcetype", &metadata.sourcetype},
                               {"index", &metadata.index}}) {
      if (const auto found = parameters->find(name); found != parameters->end()) {
        *field = found->second;
      }
    }
    return decoding.decoder.DecodeRaw(request.content_encoding, request.body, metadata,
                                      decoding.batch, request.tenant);
  };
  DecodeAndStore<Decoding>(
      pipeline_, metrics_, pool_, request, std::move(respond),
      {.decode = decode,
       .refused =
           [](const RequestFailure& failure) {
             const int code = failure.message == "No data" ? kNoData : kInvalidDataFormat;
             return HecAnswer(failure.status, code, failure.message);
           },
       .stored =
           [](const Decoding& decoding) {
             if (decoding.batch.errors.empty()) return HecAnswer(200, kSuccess, "Success");
             // HEC names the first event it could not take.
             const EventError& first = decoding.batch.errors.front();
             return HecAnswer(400, CodeOfEventError(first.message), first.message, first.index);
           },
       .not_stored = NotStoredResponse});
}

}  // namespace lp::collector
