#include "collector/ingest_handler.h"

#include <chrono>

#include "core/json_escape.h"

namespace lp::collector {

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

IngestHandler::IngestHandler(IngestOptions options, queue::Producer& producer,
                             CollectorMetrics& metrics)
    : options_(std::move(options)), producer_(producer), metrics_(metrics) {}

std::unique_ptr<IngestHandler::Decoding> IngestHandler::Borrow() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!pool_.empty()) {
      auto decoding = std::move(pool_.back());
      pool_.pop_back();
      return decoding;
    }
  }
  auto decoding = std::make_unique<Decoding>();
  decoding->decoder = std::make_unique<RequestDecoder>(options_.decode);
  return decoding;
}

void IngestHandler::Return(std::unique_ptr<Decoding> decoding) {
  // Buffers that grew for an unusually large request are not worth keeping.
  constexpr size_t kKeepBytes = 4 * 1024 * 1024;
  if (decoding->batch.json.capacity() > kKeepBytes) decoding->batch = DecodedBatch{};
  std::lock_guard lock(pool_mutex_);
  pool_.push_back(std::move(decoding));
}

void IngestHandler::Redact(Decoding& decoding, std::vector<queue::OutgoingRecord>& records) {
  decoding.redacted.clear();
  // Offsets first: the buffer may move while it grows, so views into it are made at the end.
  std::vector<std::pair<size_t, size_t>> spans(records.size(), {0, 0});
  size_t kept = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const size_t start = decoding.redacted.size();
    switch (options_.redactor->Apply(records[i].value, decoding.redaction, decoding.redacted)) {
      case security::Redactor::Outcome::kUnchanged:
        records[kept++] = records[i];
        break;
      case security::Redactor::Outcome::kRedacted:
        spans[kept] = {start, decoding.redacted.size() - start};
        records[kept++] = records[i];
        break;
      case security::Redactor::Outcome::kDropped:
        break;
    }
  }
  records.resize(kept);
  for (size_t i = 0; i < kept; ++i) {
    if (spans[i].second != 0) {
      records[i].value =
          std::string_view(decoding.redacted).substr(spans[i].first, spans[i].second);
    }
  }
}

void IngestHandler::HandleLogs(http::Request& request, http::Responder respond) {
  security::RateLimiter* const limiter = request.tenant.empty() ? nullptr : options_.rate_limiter;
  // The body as received: a compressed body costs what crossed the network, and is refused
  // before the work of decompressing it.
  if (limiter != nullptr) {
    if (const auto wait = limiter->TakeBytes(request.tenant, request.body.size())) {
      metrics_.requests_failed.WithLabels({"rate_limited"}).Increment();
      return respond(security::RateLimitedResponse(request.tenant, "bytes", *wait));
    }
  }
  auto decoding = Borrow();
  DecodedBatch& batch = decoding->batch;
  auto decoded = decoding->decoder->Decode(request.content_type, request.content_encoding,
                                           request.body, batch, request.tenant);
  if (!decoded) {
    metrics_.requests_failed.WithLabels({std::to_string(decoded.error().status)}).Increment();
    Return(std::move(decoding));
    return respond(http::ErrorResponse(decoded.error().status, decoded.error().message));
  }
  if (limiter != nullptr && !batch.events.empty()) {
    if (const auto wait = limiter->TakeEvents(request.tenant, batch.events.size())) {
      metrics_.requests_failed.WithLabels({"rate_limited"}).Increment();
      Return(std::move(decoding));
      return respond(security::RateLimitedResponse(request.tenant, "events", *wait));
    }
  }
  metrics_.events_rejected.Increment(batch.rejected);
  if (batch.events.empty()) {
    metrics_.requests_failed.WithLabels({"no_valid_event"}).Increment();
    http::Response response;
    response.status = 400;
    response.body = SummaryJson(batch);
    Return(std::move(decoding));
    return respond(std::move(response));
  }

  const auto received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::vector<queue::OutgoingRecord> records;
  records.reserve(batch.events.size());
  for (const auto& event : batch.events) {
    records.push_back(queue::OutgoingRecord{batch.Key(event), batch.Json(event), received_ms, {}});
  }
  if (options_.redactor != nullptr) Redact(*decoding, records);
  const size_t accepted = records.size();
  std::string summary = SummaryJson(batch);
  if (records.empty()) {  // every event dropped by redaction: acknowledged, nothing to store
    Return(std::move(decoding));
    return respond(http::JsonResponse(202, std::move(summary)));
  }
  const auto started = std::chrono::steady_clock::now();
  producer_.Produce(
      options_.topic, records,
      [this, accepted, started, summary = std::move(summary),
       respond = std::move(respond)](Result<void> result) mutable {
        if (!result) {
          metrics_.producer_errors.Increment(accepted);
          auto response = http::ErrorResponse(result.error().retryable() ? 503 : 500,
                                              "events not stored: " + result.error().message);
          if (result.error().retryable()) response.headers.emplace_back("Retry-After", "1");
          return respond(std::move(response));
        }
        metrics_.logs_produced.Increment(accepted);
        metrics_.produce_latency.Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        http::Response response;
        response.status = 202;
        response.body = std::move(summary);
        respond(std::move(response));
      });
  Return(std::move(decoding));
}

}  // namespace lp::collector
