#pragma once

#include "core/metrics.h"

namespace lp::archiver {

/// The archiver's series, with the seed's names.
struct ArchiverMetrics {
  explicit ArchiverMetrics(metrics::Registry& registry);

  metrics::Counter& messages_consumed;
  metrics::Counter& messages_archived;
  metrics::Counter& batches_uploaded;
  metrics::Counter& upload_errors;
  metrics::Histogram& archive_latency;
  metrics::Histogram& batch_size_bytes;
};

}  // namespace lp::archiver
