#include "collector/ingest_handler.h"

#include "collector/protocol_request.h"
#include "core/json_escape.h"

namespace lp::collector {
namespace {

// 429 over a rate, 503 under backpressure (both with Retry-After), 500 for a permanent failure.
http::Response NotStoredResponse(const StoreOutcome& outcome) {
  unsigned status = 500;
  if (outcome.kind == StoreOutcome::Kind::kRateLimited) status = 429;
  if (outcome.kind == StoreOutcome::Kind::kRetryLater) status = 503;
  auto response = http::ErrorResponse(status, outcome.message);
  if (status != 500) response.headers.emplace_back("Retry-After", outcome.RetryAfter());
  return response;
}

}  // namespace

std::string SummaryJson(const DecodedBatch& batch) {
  std::string out = "{\"accepted\":" + std::to_string(batch.events.size()) +
                    ",\"rejected\":" + std::to_string(batch.rejected) + ",\"errors\":[";
  bool first = true;
  for (const auto& error : batch.errors) {
    if (!first) out += ',';
    first = false;
    out += "{\"index\":" + std::to_string(error.index) + ",\"error\":\"";
    AppendJsonEscaped(out, error.message);
    out += "\"}";
  }
  out += ']';
  if (batch.rejected > batch.errors.size()) {
    out += ",\"errors_not_listed\":" + std::to_string(batch.rejected - batch.errors.size());
  }
  out += '}';
  return out;
}

IngestHandler::IngestHandler(DecodeOptions options, IngestPipeline& pipeline)
    : pipeline_(pipeline),
      metrics_(pipeline.metrics().ForProtocol("logs")),
      pool_(DecoderPool<Decoding>::ForBatches(options)) {}

void IngestHandler::HandleLogs(http::Request& request, http::Responder respond) {
  DecodeAndStore<Decoding>(pipeline_, metrics_, pool_, request, std::move(respond),
                           {.decode =
                                [this, &request](Decoding& decoding) {
                                  auto decoded = decoding.decoder.Decode(
                                      request.content_type, request.content_encoding, request.body,
                                      decoding.batch, request.tenant);
                                  if (decoded && decoding.batch.events.empty()) {
                                    pipeline_.CountFailedRequest("no_valid_event");
                                  }
                                  return decoded;
                                },
                            .refused =
                                [](const RequestFailure& failure) {
                                  return http::ErrorResponse(failure.status, failure.message);
                                },
                            .stored =
                                [](const Decoding& decoding) {
                                  http::Response response;
                                  response.status = decoding.batch.events.empty() ? 400 : 202;
                                  response.body = SummaryJson(decoding.batch);
                                  return response;
                                },
                            .not_stored = NotStoredResponse});
}

void IngestHandler::HandleRedactionDryRun(http::Request& request, http::Responder respond) {
  auto decoding = pool_.Borrow();
  DecodedBatch& batch = decoding->batch;
  auto decoded = decoding->decoder.Decode(request.content_type, request.content_encoding,
                                          request.body, batch, request.tenant);
  if (!decoded) {
    return respond(http::ErrorResponse(decoded.error().status, decoded.error().message));
  }
  std::string body = SummaryJson(batch);
  const std::string redaction = pipeline_.RedactionDryRun(batch);
  body.back() = ',';  // Both are objects: one object with the members of both.
  body.append(redaction, 1);
  http::Response response;
  response.status = batch.events.empty() ? 400 : 200;
  response.body = std::move(body);
  respond(std::move(response));
}

}  // namespace lp::collector
