#pragma once

#include "core/metrics.h"

namespace lp::processor {

/// The processor's series, with the seed's names (the es_* ones count search-store writes,
/// whichever store it is).
struct ProcessorMetrics {
  explicit ProcessorMetrics(metrics::Registry& registry);

  metrics::Counter& ingested_events;
  metrics::Histogram& processing_latency;
  metrics::Counter& es_write_success;
  metrics::Counter& es_write_errors;
  metrics::Counter& dlq_events;
  metrics::Counter& store_faults;
};

}  // namespace lp::processor
