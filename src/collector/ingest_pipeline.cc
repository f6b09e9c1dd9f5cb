#include "collector/ingest_pipeline.h"

#include <chrono>
#include <vector>

namespace lp::collector {

IngestPipeline::IngestPipeline(std::string topic, queue::Producer& producer,
                               CollectorMetrics& metrics)
    : topic_(std::move(topic)), producer_(producer), metrics_(metrics) {}

void IngestPipeline::CountFailedRequest(const std::string& reason) {
  metrics_.requests_failed.WithLabels({reason}).Increment();
}

void IngestPipeline::Store(const ProtocolMetrics& protocol, const DecodedBatch& batch, Done done) {
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
  const size_t accepted = batch.events.size();
  const auto started = std::chrono::steady_clock::now();
  producer_.Produce(
      topic_, records,
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
