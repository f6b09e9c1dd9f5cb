#include "collector/protocols/otlp_http.h"

namespace lp::collector {
namespace {

// google.rpc.Code values for the Status an error answer carries.
constexpr int kInvalidArgument = 3;
constexpr int kUnauthenticated = 16;
constexpr int kUnavailable = 14;
constexpr int kInternal = 13;

http::Response OtlpResponse(OtlpEncoding encoding, unsigned status, std::string body) {
  http::Response response;
  response.status = status;
  response.content_type =
      encoding == OtlpEncoding::kProtobuf ? "application/x-protobuf" : "application/json";
  response.body = std::move(body);
  return response;
}

}  // namespace

OtlpHttpHandler::OtlpHttpHandler(DecodeOptions options, IngestPipeline& pipeline,
                                 const ShipperAuth& auth)
    : pipeline_(pipeline),
      auth_(auth),
      metrics_(pipeline.metrics().ForProtocol("otlp")),
      pool_([options] { return std::make_unique<Decoding>(options); },
            [](const Decoding& decoding) {
              return decoding.batch.json.capacity() <= kPooledBufferBytes;
            }) {}

void OtlpHttpHandler::HandleLogs(http::Request& request, http::Responder respond) {
  const auto encoding = OtlpLogsDecoder::EncodingOf(request.content_type);
  if (!encoding) {
    pipeline_.CountFailedRequest("415");
    return respond(OtlpResponse(OtlpEncoding::kJson, 415,
                                OtlpStatus(OtlpEncoding::kJson, kInvalidArgument,
                                           "unsupported Content-Type \"" + request.content_type +
                                               "\": send application/x-protobuf or "
                                               "application/json")));
  }
  if (!auth_.Allows(request.authorization)) {
    pipeline_.CountFailedRequest("unauthorized");
    return respond(OtlpResponse(*encoding, 401,
                                OtlpStatus(*encoding, kUnauthenticated,
                                           "missing or wrong token: send Authorization: Bearer "
                                           "<token>")));
  }
  auto decoding = pool_.Borrow();
  DecodedBatch& batch = decoding->batch;
  auto decoded = decoding->decoder.Decode(*encoding, request.content_encoding, request.body, batch);
  if (!decoded) {
    pipeline_.CountFailedRequest(std::to_string(decoded.error().status));
    return respond(OtlpResponse(*encoding, decoded.error().status,
                                OtlpStatus(*encoding, kInvalidArgument, decoded.error().message)));
  }
  pipeline_.Store(metrics_, batch,
                  [encoding = *encoding, answer = OtlpAnswer(*encoding, batch),
                   respond = std::move(respond)](const StoreOutcome& outcome) mutable {
                    if (outcome.kind == StoreOutcome::Kind::kStored) {
                      return respond(OtlpResponse(encoding, 200, std::move(answer)));
                    }
                    const bool retry = outcome.kind == StoreOutcome::Kind::kRetryLater;
                    auto response = OtlpResponse(
                        encoding, retry ? 503 : 500,
                        OtlpStatus(encoding, retry ? kUnavailable : kInternal, outcome.message));
                    if (retry) response.headers.emplace_back("Retry-After", "1");
                    respond(std::move(response));
                  });
}

}  // namespace lp::collector
