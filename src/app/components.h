#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "app/config.h"
#include "core/metrics.h"
#include "core/readiness.h"
#include "http/server.h"
#include "objectstore/object_store.h"
#include "processor/geoip.h"
#include "queue/queue.h"
#include "search/search_store.h"

namespace lp::app {

/// The queue a process runs on, and how to make it durable before exit.
struct OpenedQueue {
  std::unique_ptr<queue::Queue> queue;
  /// Flushes what was produced and answers every pending produce.
  std::function<void()> stop;
};

/// Kafka when KAFKA_BROKERS or KAFKA_BOOTSTRAP_SERVERS is set (creating the input and DLQ topics
/// when missing), the embedded spool under the data folder otherwise.
[[nodiscard]] Result<OpenedQueue> OpenQueue(const Config& config, metrics::Registry& registry);

/// Elasticsearch/OpenSearch when ES_HOSTS is set (bootstrapped: template, lifecycle, alias), the
/// embedded log store under the data folder otherwise (SQLite FTS5 with SEARCH_STORE=sqlite).
[[nodiscard]] Result<std::unique_ptr<search::SearchStore>> OpenSearchStore(
    const Config& config, metrics::Registry& registry);

/// Null when no database is configured or it cannot be read; says so once.
[[nodiscard]] std::unique_ptr<processor::GeoIpDatabase> OpenGeoIp(
    const std::filesystem::path& path);

/// S3 when an endpoint is configured, the local folder otherwise (checked writable at start, so
/// a read-only ARCHIVE_DIR fails at once, naming the setting).
[[nodiscard]] Result<std::unique_ptr<objectstore::ObjectStore>> OpenArchive(const Config& config);

/// `/healthz` and `/readyz`, also as `/ready` (Loki's path): ready when the queue takes writes
/// and every component of `readiness` says it is ready; the answer lists what is not.
[[nodiscard]] std::vector<http::Route> HealthRoutes(queue::Queue& queue,
                                                    const Readiness& readiness);
/// `/metrics` in Prometheus' text format.
[[nodiscard]] http::Route MetricsRoute(metrics::Registry& registry);

}  // namespace lp::app
