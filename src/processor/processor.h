#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/backoff.h"
#include "core/event_validator.h"
#include "core/readiness.h"
#include "processor/geoip.h"
#include "processor/normalizer.h"
#include "processor/processor_metrics.h"
#include "queue/lag_reporter.h"
#include "queue/queue.h"
#include "search/search_store.h"

namespace lp::processor {

struct ProcessorOptions {
  std::string group = "processor";
  std::string topic = "app-logs";
  std::string dlq_topic = "dlq";
  size_t workers = 1;  ///< Members of the group in this process; they share the partitions.
  size_t batch_size = 1000;
  std::chrono::milliseconds poll_timeout{500};
  int attempts_before_pause = 5;
  /// Between polls that failed, and between tries of a store write or a dead-letter produce.
  RetryPolicy retry{};
  EventLimits event_limits{};
  /// Null: no enrichment. Must outlive the processor.
  const GeoIpDatabase* geoip = nullptr;
  size_t geoip_cache_entries = 10'000;  ///< Per worker.
  /// Where the processor says it cannot index (a damaged search store). Null: nowhere.
  Readiness::Component* readiness = nullptr;
};

/// Consumes the queue as consumer group `processor`: validate, normalize, enrich, write to the
/// search store in batches, and commit offsets only up to what the store reports durable
/// (SearchStore::Checkpoint; at a newly assigned partition it rewinds to the store's
/// ResumeOffset when that is before the committed offset). Invalid events and
/// documents the store rejects go to the dead-letter topic with headers `error`, `stage`,
/// `source_topic`, `source_partition`, `source_offset`. Transient failures are retried with
/// exponential backoff and jitter; after `attempts_before_pause` the worker stops polling and
/// keeps retrying until the store is back, so an outage never sends events to the DLQ. A store
/// whose files are damaged (ErrorClass::kStorageFault) is a server fault: the worker logs it,
/// counts it, reports not ready, and stops consuming while it retries; the events wait in the
/// queue and never reach the DLQ for it.
///
/// Owns its worker threads; Start() once, Stop() (idempotent) before the queue and store go.
class Processor {
 public:
  Processor(ProcessorOptions options, queue::Queue& queue, search::SearchStore& store,
            ProcessorMetrics& metrics, queue::ConsumerLagMetrics& lag_metrics);
  ~Processor();

  [[nodiscard]] Result<void> Start();
  void Stop();

 private:
  void Work(std::stop_token stop, std::unique_ptr<queue::Consumer> consumer);

  const ProcessorOptions options_;
  queue::Queue& queue_;
  search::SearchStore& store_;
  ProcessorMetrics& metrics_;
  queue::ConsumerLagMetrics& lag_metrics_;
  std::vector<std::jthread> workers_;
};

}  // namespace lp::processor
