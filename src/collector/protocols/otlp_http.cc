#include "collector/protocols/otlp_http.h"

#include "collector/protocol_request.h"

namespace lp::collector {
namespace {

// google.rpc.Code values for the Status an error answer carries.
constexpr int kInvalidArgument = 3;
constexpr int kPermissionDenied = 7;
constexpr int kResourceExhausted = 8;
constexpr int kInternal = 13;
constexpr int kUnavailable = 14;
constexpr int kUnauthenticated = 16;

http::Response OtlpResponse(WireEncoding encoding, unsigned status, std::string body) {
  http::Response response;
  response.status = status;
  response.content_type =
      encoding == WireEncoding::kProtobuf ? "application/x-protobuf" : "application/json";
  response.body = std::move(body);
  return response;
}

http::Response OtlpError(WireEncoding encoding, unsigned status, int code,
                         std::string_view message) {
  return OtlpResponse(encoding, status, OtlpStatus(encoding, code, message));
}

// The OTLP spec's retryable answers carry Retry-After: 429 over the tenant's rate, 503 under
// backpressure; a permanent failure is 500.
http::Response NotStoredResponse(WireEncoding encoding, const StoreOutcome& outcome) {
  if (outcome.kind == StoreOutcome::Kind::kFailed) {
    return OtlpError(encoding, 500, kInternal, outcome.message);
  }
  const bool limited = outcome.kind == StoreOutcome::Kind::kRateLimited;
  auto response = OtlpError(encoding, limited ? 429 : 503,
                            limited ? kResourceExhausted : kUnavailable, outcome.message);
  response.headers.emplace_back("Retry-After", outcome.RetryAfter());
  return response;
}

}  // namespace

OtlpHttpHandler::OtlpHttpHandler(DecodeOptions options, IngestPipeline& pipeline)
    : pipeline_(pipeline),
      metrics_(pipeline.metrics().ForProtocol("otlp")),
      pool_(DecoderPool<Decoding>::ForBatches(options)) {}

http::Response OtlpHttpHandler::Refusal(const http::Request& request,
                                        const security::Authenticator::Refusal& refusal) {
  const auto encoding = WireEncodingOf(request.content_type).value_or(WireEncoding::kJson);
  return OtlpError(encoding, refusal.status,
                   refusal.status == 401 ? kUnauthenticated : kPermissionDenied, refusal.reason);
}

void OtlpHttpHandler::HandleLogs(http::Request& request, http::Responder respond) {
  const auto encoding = WireEncodingOf(request.content_type);
  if (!encoding) {
    pipeline_.CountFailedRequest("415");
    return respond(OtlpError(WireEncoding::kJson, 415, kInvalidArgument,
                             "unsupported Content-Type \"" + request.content_type +
                                 "\": send application/x-protobuf or application/json"));
  }
  DecodeAndStore<Decoding>(
      pipeline_, metrics_, pool_, request, std::move(respond),
      {.decode = DecodeInEncoding<Decoding>(request, *encoding),
       .refused =
           [encoding = *encoding](const RequestFailure& failure) {
             return OtlpError(encoding, failure.status, kInvalidArgument, failure.message);
           },
       .stored =
           [encoding = *encoding](const Decoding& decoding) {
             return OtlpResponse(encoding, 200, OtlpAnswer(encoding, decoding.batch));
           },
       .not_stored =
           [encoding = *encoding](const StoreOutcome& outcome) {
             return NotStoredResponse(encoding, outcome);
           }});
}

}  // namespace lp::collector
