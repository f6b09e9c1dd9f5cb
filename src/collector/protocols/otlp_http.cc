#include "collector/protocols/otlp_http.h"

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
  if (auto refused = pipeline_.AdmitBody(request.tenant, request.body.size())) {
    return respond(NotStoredResponse(*encoding, *refused));
  }
  auto decoding = pool_.Borrow();
  DecodedBatch& batch = decoding->batch;
  auto decoded = decoding->decoder.Decode(*encoding, request.content_encoding, request.body, batch,
                                          request.tenant);
  if (!decoded) {
    pipeline_.CountFailedRequest(std::to_string(decoded.error().status));
    return respond(
        OtlpError(*encoding, decoded.error().status, kInvalidArgument, decoded.error().message));
  }
  pipeline_.Store(metrics_, request.tenant, batch,
                  [encoding = *encoding, answer = OtlpAnswer(*encoding, batch),
                   respond = std::move(respond)](const StoreOutcome& outcome) mutable {
                    if (outcome.kind != StoreOutcome::Kind::kStored) {
                      return respond(NotStoredResponse(encoding, outcome));
                    }
                    respond(OtlpResponse(encoding, 200, std::move(answer)));
                  });
}

}  // namespace lp::collector
