#include "processor/processor_metrics.h"

namespace lp::processor {

ProcessorMetrics::ProcessorMetrics(metrics::Registry& registry)
    : ingested_events(
          registry
              .AddCounter("ingested_events_total", "Events read from the queue by the processor.")
              .WithLabels({})),
      processing_latency(registry
                             .AddHistogram("processing_latency_seconds",
                                           "Time to process one polled batch, from poll to commit.",
                                           metrics::LatencyBuckets())
                             .WithLabels({})),
      es_write_success(
          registry.AddCounter("es_write_success_total", "Documents the search store accepted.")
              .WithLabels({})),
      es_write_errors(registry
                          .AddCounter("es_write_errors_total",
                                      "Failed search-store writes (retried batches and rejected "
                                      "documents).")
                          .WithLabels({})),
      dlq_events(registry.AddCounter("dlq_events_total", "Events sent to the dead-letter topic.")
                     .WithLabels({})),
      store_faults(registry
                       .AddCounter("search_store_faults_total",
                                   "Search-store writes that failed because the store's own "
                                   "files are damaged (consumption stops until it is repaired).")
                       .WithLabels({})) {}

}  // namespace lp::processor
