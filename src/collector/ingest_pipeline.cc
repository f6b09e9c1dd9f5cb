#include "collector/ingest_pipeline.h"

#include <chrono>
#include <vector>

#include "core/json_escape.h"

namespace lp::collector {

std::string StoreOutcome::RetryAfter() const {
  return std::to_string(std::max<int64_t>(1, retry_after.count()));
}

IngestPipeline::IngestPipeline(IngestOptions options, queue::Producer& producer,
                               CollectorMetrics& metrics)
    : options_(std::move(options)),
      producer_(producer),
      metrics_(metrics),
      redactions_(
          [new_locator = options_.new_locator] {
            auto redaction = std::make_unique<Redaction>();
            if (new_locator) redaction->scratch.locate = new_locator();
            return redaction;
          },
          [](const Redaction& redaction) {
            return redaction.redacted.capacity() <= kPooledBufferBytes;
          }) {}

void IngestPipeline::CountFailedRequest(const std::string& reason) {
  metrics_.requests_failed.WithLabels({reason}).Increment();
}

StoreOutcome IngestPipeline::RateLimited(std::string_view tenant, std::string_view limit,
                                         std::chrono::milliseconds wait) {
  CountFailedRequest("rate_limited");
  auto refusal = security::RefusalFor(tenant, limit, wait);
  return StoreOutcome{StoreOutcome::Kind::kRateLimited, std::move(refusal.reason),
                      refusal.retry_after};
}

std::optional<StoreOutcome> IngestPipeline::AdmitBody(std::string_view tenant, size_t bytes) {
  if (tenant.empty() || options_.rate_limiter == nullptr) return std::nullopt;
  // The body as received: a compressed body costs what crossed the network, and is refused
  // before the work of decompressing it.
  if (const auto wait = options_.rate_limiter->TakeBytes(tenant, bytes)) {
    return RateLimited(tenant, "bytes", *wait);
  }
  return std::nullopt;
}

void IngestPipeline::Redact(Redaction& redaction,
                            std::vector<queue::OutgoingRecord>& records) const {
  redaction.redacted.clear();
  // Offsets first: the buffer may move while it grows, so views into it are made at the end.
  redaction.spans.assign(records.size(), {0, 0});
  size_t kept = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const size_t start = redaction.redacted.size();
    switch (options_.redactor->Apply(records[i].value, redaction.scratch, redaction.redacted)) {
      case security::Redactor::Outcome::kUnchanged:
        records[kept++] = records[i];
        break;
      case security::Redactor::Outcome::kRedacted:
        redaction.spans[kept] = {start, redaction.redacted.size() - start};
        records[kept++] = records[i];
        break;
      case security::Redactor::Outcome::kDropped:
        break;
    }
  }
  records.resize(kept);
  for (size_t i = 0; i < kept; ++i) {
    const auto [offset, length] = redaction.spans[i];
    if (length != 0) records[i].value = std::string_view(redaction.redacted).substr(offset, length);
  }
}

std::string IngestPipeline::RedactionDryRun(const DecodedBatch& batch) {
  std::string out = "{\"redaction\":";
  out += options_.redactor != nullptr ? "\"on\"" : "\"off\"";
  out += ",\"events\":[";
  auto redaction = redactions_.Borrow();
  std::vector<security::RedactionHit> hits;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const std::string_view event = batch.Json(batch.events[i]);
    if (i > 0) out += ',';
    hits.clear();
    redaction->redacted.clear();
    auto outcome = security::Redactor::Outcome::kUnchanged;
    if (options_.redactor != nullptr) {
      outcome = options_.redactor->Apply(event, redaction->scratch, redaction->redacted, &hits);
    }
    switch (outcome) {
      case security::Redactor::Outcome::kUnchanged:
        out.append("{\"outcome\":\"unchanged\",\"event\":").append(event);
        break;
      case security::Redactor::Outcome::kRedacted:
        out.append("{\"outcome\":\"redacted\",\"event\":").append(redaction->redacted);
        break;
      case security::Redactor::Outcome::kDropped:
        out.append("{\"outcome\":\"dropped\",\"event\":null");
        break;
    }
    out += ",\"redactions\":[";
    for (size_t h = 0; h < hits.size(); ++h) {
      if (h > 0) out += ',';
      out += "{\"rule\":\"";
      AppendJsonEscaped(out, hits[h].rule);
      out += "\",\"path\":\"";
      AppendJsonEscaped(out, hits[h].path);
      out += "\",\"action\":\"";
      out += security::ActionName(hits[h].action);
      out += "\"}";
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

void IngestPipeline::Store(const ProtocolMetrics& protocol, std::string_view tenant,
                           const DecodedBatch& batch, Done done) {
  if (!tenant.empty() && options_.rate_limiter != nullptr && !batch.events.empty()) {
    if (const auto wait = options_.rate_limiter->TakeEvents(tenant, batch.events.size())) {
      return done(RateLimited(tenant, "events", *wait));
    }
  }
  metrics_.events_rejected.Increment(batch.rejected);
  protocol.logs_rejected.Increment(batch.rejected);
  if (batch.events.empty()) return done(StoreOutcome{});

  const auto received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::vector<queue::OutgoingRecord> records;
  records.reserve(batch.events.size());
  for (const auto& event : batch.events) {
    records.push_back(queue::OutgoingRecord{batch.Key(event), batch.Json(event), received_ms, {}});
  }
  if (options_.redactor == nullptr) return Produce(protocol, records, std::move(done));
  // Held until Produce returns: the producer copies the records before that.
  auto redaction = redactions_.Borrow();
  Redact(*redaction, records);
  // Every event dropped by redaction: acknowledged, nothing to store.
  if (records.empty()) return done(StoreOutcome{});
  Produce(protocol, records, std::move(done));
}

void IngestPipeline::Produce(const ProtocolMetrics& protocol,
                             const std::vector<queue::OutgoingRecord>& records, Done done) {
  const size_t accepted = records.size();
  const auto started = std::chrono::steady_clock::now();
  producer_.Produce(
      options_.topic, records,
      [this, accepted, started, produced = &protocol.logs_produced,
       done = std::move(done)](Result<void> result) {
        if (!result) {
          metrics_.producer_errors.Increment(accepted);
          return done(StoreOutcome{result.error().retryable() ? StoreOutcome::Kind::kRetryLater
                                                              : StoreOutcome::Kind::kFailed,
                                   "events not stored: " + result.error().message});
        }
        metrics_.logs_produced.Increment(accepted);
        produced->Increment(accepted);
        metrics_.produce_latency.Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        done(StoreOutcome{});
      });
}

}  // namespace lp::collector
