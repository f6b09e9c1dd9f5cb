#include "collector/protocols/loki_http.h"

#include "collector/protocol_request.h"

namespace lp::collector {
namespace {

http::Response TextResponse(unsigned status, std::string body) {
  http::Response response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(body);
  return response;
}

http::Response NotStoredResponse(const StoreOutcome& outcome) {
  if (outcome.kind == StoreOutcome::Kind::kFailed) return TextResponse(500, outcome.message);
  auto response =
      TextResponse(outcome.kind == StoreOutcome::Kind::kRateLimited ? 429 : 503, outcome.message);
  response.headers.emplace_back("Retry-After", outcome.RetryAfter());
  return response;
}

// The 400 for entries the validation refused (the others were stored).
std::string RejectedEntries(const DecodedBatch& batch) {
  std::string out = std::to_string(batch.rejected) + " of " +
                    std::to_string(batch.rejected + batch.events.size()) +
                    " entries rejected (the others are stored)";
  constexpr size_t kNamed = 10;
  for (size_t i = 0; i < batch.errors.size() && i < kNamed; ++i) {
    out += "\nentry " + std::to_string(batch.errors[i].index) + ": " + batch.errors[i].message;
  }
  if (batch.rejected > kNamed) out += "\n...";
  return out;
}

}  // namespace

LokiPushHandler::LokiPushHandler(DecodeOptions options, IngestPipeline& pipeline)
    : pipeline_(pipeline),
      metrics_(pipeline.metrics().ForProtocol("loki")),
      pool_(DecoderPool<Decoding>::ForBatches(options)) {}

http::Response LokiPushHandler::Refusal(const http::Request&,
                                        const security::Authenticator::Refusal& refusal) {
  return TextResponse(refusal.status, refusal.reason);
}

void LokiPushHandler::HandlePush(http::Request& request, http::Responder respond) {
  const auto encoding = WireEncodingOf(request.content_type);
  if (!encoding) {
    pipeline_.CountFailedRequest("415");
    return respond(TextResponse(415, "unsupported Content-Type \"" + request.content_type +
                                         "\": send application/x-protobuf (snappy) or "
                                         "application/json"));
  }
  DecodeAndStore<Decoding>(pipeline_, metrics_, pool_, request, std::move(respond),
                           {.decode = DecodeInEncoding<Decoding>(request, *encoding),
                            .refused =
                                [](const RequestFailure& failure) {
                                  return TextResponse(failure.status, failure.message);
                                },
                            .stored =
                                [](const Decoding& decoding) {
                                  if (decoding.batch.rejected > 0) {
                                    return TextResponse(400, RejectedEntries(decoding.batch));
                                  }
                                  return TextResponse(204, "");
                                },
                            .not_stored = NotStoredResponse});
}

}  // namespace lp::collector
