#include "archiver/archiver_metrics.h"

namespace lp::archiver {

ArchiverMetrics::ArchiverMetrics(metrics::Registry& registry)
    : messages_consumed(registry
                            .AddCounter("archiver_messages_consumed_total",
                                        "Events read from the queue by the archiver.")
                            .WithLabels({})),
      messages_archived(registry
                            .AddCounter("archiver_messages_archived_total",
                                        "Events in uploaded archive objects (a re-upload after "
                                        "a crash counts again).")
                            .WithLabels({})),
      batches_uploaded(
          registry
              .AddCounter("archiver_batches_uploaded_total", "Batches whose objects all uploaded.")
              .WithLabels({})),
      upload_errors(registry
                        .AddCounter("archiver_upload_errors_total",
                                    "Failed object uploads (each is retried).")
                        .WithLabels({})),
      archive_latency(registry
                          .AddHistogram("archiver_archive_latency_seconds",
                                        "From closing a batch to its commit: compress, upload, "
                                        "commit.",
                                        metrics::LatencyBuckets())
                          .WithLabels({})),
      batch_size_bytes(registry
                           .AddHistogram("archiver_batch_size_bytes",
                                         "Uncompressed NDJSON bytes per batch.",
                                         metrics::SizeBuckets())
                           .WithLabels({})) {}

}  // namespace lp::archiver
