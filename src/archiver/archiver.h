#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "archiver/archiver_metrics.h"
#include "archiver/compressor.h"
#include "core/backoff.h"
#include "core/readiness.h"
#include "objectstore/object_store.h"
#include "queue/lag_reporter.h"
#include "queue/queue.h"

namespace lp::archiver {

struct ArchiverOptions {
  std::string group = "archiver";
  std::string topic = "app-logs";
  std::string bucket = "logs-archive";
  size_t workers = 1;
  size_t batch_size = 100;  ///< Events per batch and partition (the seed's).
  size_t batch_max_bytes = 16 * 1024 * 1024;
  std::chrono::milliseconds batch_timeout{60'000};
  Compression compression = Compression::kGzip;
  std::chrono::milliseconds poll_timeout{200};
  /// Between polls that failed, and between tries of an upload.
  RetryPolicy retry{};
  /// Where the archiver says its uploads fail (and since when), for /readyz. Null: nowhere.
  Readiness::Component* readiness = nullptr;
};

/// Consumes the queue as consumer group `archiver`: per partition, batches raw events until
/// `batch_size`, `batch_max_bytes` or `batch_timeout` (also when no new data arrives), writes one
/// compressed NDJSON object per event date, and commits only after every object is stored. While
/// uploads fail it reports not ready (`readiness`), with the error, until one succeeds.
///
/// Exactly once: before uploading, a batch's end is recorded as commit metadata on the
/// partition's unchanged offset (`archive-batch-end=<offset>`). A member that finds such a mark
/// (after a crash, or taking the partition over) rebuilds exactly that batch, whose objects get
/// the same keys and bytes, so re-uploading overwrites instead of duplicating.
class Archiver {
 public:
  Archiver(ArchiverOptions options, queue::Queue& queue, objectstore::ObjectStore& store,
           ArchiverMetrics& metrics, queue::ConsumerLagMetrics& lag_metrics);
  ~Archiver();

  [[nodiscard]] Result<void> Start();
  /// Uploads and commits what the batches hold (unless the store keeps failing), then stops.
  void Stop();

 private:
  void Work(std::stop_token stop, std::unique_ptr<queue::Consumer> consumer);

  const ArchiverOptions options_;
  queue::Queue& queue_;
  objectstore::ObjectStore& store_;
  ArchiverMetrics& metrics_;
  queue::ConsumerLagMetrics& lag_metrics_;
  std::vector<std::jthread> workers_;
};

}  // namespace lp::archiver
