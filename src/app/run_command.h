#pragma once

#include <string_view>

#include "app/config.h"

namespace lp::app {

/// What one process does: `logpipe run` is every role at once; the others are one role each, for
/// the distributed deployment on Kafka.
enum class Role { kAll, kCollector, kProcessor, kArchiver };

[[nodiscard]] std::string_view RoleName(Role role);
/// The seed's METRICS_PORT default for the role: 8080 for the collector and `run`, 8001 for
/// processors, 8002 for archivers.
[[nodiscard]] uint16_t DefaultMetricsPort(Role role);

/// Runs the role's parts until SIGINT/SIGTERM, then drains: stops accepting, answers what is in
/// flight, finishes and commits the current batches, flushes the queue. Returns the exit code.
///
/// - collector: POST /logs on COLLECTOR_PORT into the queue.
/// - processor: the queue into the search store; the query API (/api/search, /api/histogram,
///   /api/replay) on METRICS_PORT.
/// - archiver: the queue into the object store.
/// - run: all three, the query API on COLLECTOR_PORT; on the spool unless Kafka is configured.
int RunRole(const Config& config, Role role);

}  // namespace lp::app
