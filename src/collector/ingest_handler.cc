#include "collector/ingest_handler.h"

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
      pool_(
          [options] {
            auto decoding = std::make_unique<Decoding>();
            decoding->decoder = std::make_unique<RequestDecoder>(options);
            return decoding;
          },
          [](const Decoding& decoding) {
            return decoding.batch.json.capacity() <= kPooledBufferBytes;
          }) {}

void IngestHandler::HandleLogs(http::Request& request, http::Responder respond) {
  if (auto refused = pipeline_.AdmitBody(request.tenant, request.body.size())) {
    return respond(NotStoredResponse(*refused));
  }
  auto decoding = pool_.Borrow();
  DecodedBatch& batch = decoding->batch;
  auto decoded = decoding->decoder->Decode(request.content_type, request.content_encoding,
                                           request.body, batch, request.tenant);
  if (!decoded) {
    pipeline_.CountFailedRequest(std::to_string(decoded.error().status));
    return respond(http::ErrorResponse(decoded.error().status, decoded.error().message));
  }
  if (batch.events.empty()) {
    pipeline_.CountFailedRequest("no_valid_event");
  }
  pipeline_.Store(metrics_, request.tenant, batch,
                  [summary = SummaryJson(batch), any_accepted = !batch.events.empty(),
                   respond = std::move(respond)](const StoreOutcome& outcome) mutable {
                    if (outcome.kind != StoreOutcome::Kind::kStored) {
                      return respond(NotStoredResponse(outcome));
                    }
                    http::Response response;
                    response.status = any_accepted ? 202 : 400;
                    response.body = std::move(summary);
                    respond(std::move(response));
                  });
}

void IngestHandler::HandleRedactionDryRun(http::Request& request, http::Responder respond) {
  auto decoding = pool_.Borrow();
  DecodedBatch& batch = decoding->batch;
  auto decoded = decoding->decoder->Decode(request.content_type, request.content_encoding,
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
