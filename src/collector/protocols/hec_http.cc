#include "collector/protocols/hec_http.h"

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
  return http::Route{"GET", "/services/collector/health/**",
                     [this](http::Request&, http::Responder respond) {
                       if (!queue_.CheckReady()) {
                         return respond(
                             HecAnswer(503, kQueuesFull, "HEC is unhealthy, queues are full"));
                       }
                       respond(HecAnswer(200, kHealthy, "HEC is healthy"));
                     }};
}

void HecHandler::Handle(bool raw, http::Request& request, http::Responder respond) {
  if (auto refused = pipeline_.AdmitBody(request.tenant, request.body.size())) {
    return respond(NotStoredResponse(*refused));
  }
  auto decoding = pool_.Borrow();
  DecodedBatch& batch = decoding->batch;
  tl::expected<void, RequestFailure> decoded;
  if (raw) {
    const auto parameters = ParseUrlQuery(request.query);
    if (!parameters) {
      pipeline_.CountFailedRequest("400");
      return respond(HecAnswer(400, kInvalidDataFormat, "malformed query string"));
    }
    HecMetadata metadata;
    for (auto [name, field] : {std::pair{"host", &metadata.host},
                               {"source", &metadata.source},
                               {"sourcetype", &metadata.sourcetype},
                               {"index", &metadata.index}}) {
      if (const auto found = parameters->find(name); found != parameters->end()) {
        *field = found->second;
      }
    }
    decoded = decoding->decoder.DecodeRaw(request.content_encoding, request.body, metadata, batch,
                                          request.tenant);
  } else {
    decoded = decoding->decoder.DecodeEvents(request.content_encoding, request.body, batch,
                                             request.tenant);
  }
  if (!decoded) {
    pipeline_.CountFailedRequest(std::to_string(decoded.error().status));
    const int code = decoded.error().message == "No data" ? kNoData : kInvalidDataFormat;
    return respond(HecAnswer(decoded.error().status, code, decoded.error().message));
  }
  std::optional<EventError> first_rejected;
  if (!batch.errors.empty()) first_rejected = batch.errors.front();
  pipeline_.Store(metrics_, request.tenant, batch,
                  [first_rejected = std::move(first_rejected),
                   respond = std::move(respond)](const StoreOutcome& outcome) mutable {
                    if (outcome.kind != StoreOutcome::Kind::kStored) {
                      return respond(NotStoredResponse(outcome));
                    }
                    if (first_rejected) {
                      return respond(HecAnswer(400, CodeOfEventError(first_rejected->message),
                                               first_rejected->message, first_rejected->index));
                    }
                    respond(HecAnswer(200, kSuccess, "Success"));
                  });
}

}  // namespace lp::collector
