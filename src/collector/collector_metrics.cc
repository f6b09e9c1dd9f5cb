#include "collector/collector_metrics.h"

#include "collector/protobuf_log.h"

namespace lp::collector {

CollectorMetrics::CollectorMetrics(metrics::Registry& registry)
    : logs_produced(registry
                        .AddCounter("logs_produced_total",
                                    "Events written to the queue and acknowledged by it.")
                        .WithLabels({})),
      producer_errors(registry
                          .AddCounter("producer_errors_total",
                                      "Events that the queue refused or failed to store.")
                          .WithLabels({})),
      produce_latency(registry
                          .AddHistogram("produce_latency_seconds",
                                        "Time from handing a request's events to the queue to "
                                        "its acknowledgement.",
                                        metrics::LatencyBuckets())
                          .WithLabels({})),
      events_rejected(registry
                          .AddCounter("logs_rejected_total",
                                      "Events refused by validation (answered per event).")
                          .WithLabels({})),
      requests_failed(registry.AddCounter(
          "ingest_requests_failed_total",
          "Ingest requests (of any protocol) refused as a whole, by reason.", {"reason"})),
      produced_by_protocol(registry.AddCounter(
          "logs_produced_by_protocol_total",
          "Events written to the queue and acknowledged by it, by the protocol that brought them.",
          {"protocol"})),
      rejected_by_protocol(registry.AddCounter(
          "logs_rejected_by_protocol_total",
          "Events refused by validation, by the protocol that brought them.", {"protocol"})) {
  registry.AddSampled("protobuf_log_messages_total",
                      "Messages libprotobuf logged (e.g. a protobuf request's string field with "
                      "invalid UTF-8), counted instead of written to the log one by one.",
                      metrics::MetricType::kCounter,
                      [] { return static_cast<double>(ProtobufLogMessages()); });
}

ProtocolMetrics CollectorMetrics::ForProtocol(const std::string& protocol) {
  return ProtocolMetrics{produced_by_protocol.WithLabels({protocol}),
                         rejected_by_protocol.WithLabels({protocol})};
}

}  // namespace lp::collector
