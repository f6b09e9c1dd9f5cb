#pragma once

#include <string>

#include "core/metrics.h"

namespace lp::collector {

/// One ingest protocol's share of the collector's counts (label `protocol`).
struct ProtocolMetrics {
  metrics::Counter& logs_produced;  ///< Events of this protocol acknowledged by the queue.
  metrics::Counter& logs_rejected;  ///< Events of this protocol refused by validation.
};

/// The collector's series, with the seed's names. Registered once per process.
struct CollectorMetrics {
  explicit CollectorMetrics(metrics::Registry& registry);

  metrics::Counter& logs_produced;                     ///< Events acknowledged by the queue.
  metrics::Counter& producer_errors;                   ///< Events the queue could not take.
  metrics::Histogram& produce_latency;                 ///< Produce call to queue acknowledgement.
  metrics::Counter& events_rejected;                   ///< Events refused by validation.
  metrics::Family<metrics::Counter>& requests_failed;  ///< Whole requests refused, by reason.
  metrics::Family<metrics::Counter>& produced_by_protocol;
  metrics::Family<metrics::Counter>& rejected_by_protocol;

  /// The series of one protocol ("logs" for POST /logs, "elasticsearch", "otlp", ...).
  [[nodiscard]] ProtocolMetrics ForProtocol(const std::string& protocol);
};

}  // namespace lp::collector
