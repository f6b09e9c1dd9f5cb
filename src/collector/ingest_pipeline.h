#pragma once

#include <functional>
#include <string>

#include "collector/batch_builder.h"
#include "collector/collector_metrics.h"
#include "queue/queue.h"

namespace lp::collector {

/// How storing a request's accepted events ended.
struct StoreOutcome {
  enum class Kind {
    kStored,      ///< Every event is durable in the queue: answer success.
    kRetryLater,  ///< Backpressure (queue full or unreachable): answer 429/503 + Retry-After.
    kFailed,      ///< A permanent failure: answer 500.
  };
  Kind kind = Kind::kStored;
  std::string message{};  ///< For the client, when not stored.
};

/// What every ingest protocol does with the events its decoder accepted: counts them by
/// protocol, produces them to the queue keyed by service, and reports only once the queue
/// acknowledged them (DESIGN §3), so each protocol answers after durability in its own form.
///
/// Thread-safe: server threads call it concurrently.
class IngestPipeline {
 public:
  using Done = std::function<void(const StoreOutcome&)>;

  IngestPipeline(std::string topic, queue::Producer& producer, CollectorMetrics& metrics);

  /// Counts `batch`'s rejected events, then stores its accepted ones and calls `done` (on any
  /// thread) once they are durable or failed; with no accepted event, at once with kStored.
  /// The batch may be reused as soon as Store returns.
  void Store(const ProtocolMetrics& protocol, const DecodedBatch& batch, Done done);
  /// Counts a request refused as a whole, by reason ("unauthorized", "400", ...).
  void CountFailedRequest(const std::string& reason);

  [[nodiscard]] CollectorMetrics& metrics() { return metrics_; }

 private:
  const std::string topic_;
  queue::Producer& producer_;
  CollectorMetrics& metrics_;
};

}  // namespace lp::collector
