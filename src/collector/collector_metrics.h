#pragma once

#include "core/metrics.h"

namespace lp::collector {

/// The collector's series, with the seed's names. Registered once per process.
struct CollectorMetrics {
  explicit CollectorMetrics(metrics::Registry& registry);

  metrics::Counter& logs_produced;                     ///< Events acknowledged by the queue.
  metrics::Counter& producer_errors;                   ///< Events the queue could not take.
  metrics::Histogram& produce_latency;                 ///< Produce call to queue acknowledgement.
  metrics::Counter& events_rejected;                   ///< Events refused by validation.
  metrics::Family<metrics::Counter>& requests_failed;  ///< Whole requests refused, by reason.
};

}  // namespace lp::collector
