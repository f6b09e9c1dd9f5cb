#pragma once

#include <chrono>
#include <map>
#include <string>

#include "core/metrics.h"
#include "queue/queue.h"

namespace lp::queue {

/// The `consumer_lag_messages{group,partition}` and `consumer_record_age_seconds{group}`
/// families; one per process, shared by every consumer group in it.
class ConsumerLagMetrics {
 public:
  explicit ConsumerLagMetrics(metrics::Registry& registry);

  [[nodiscard]] metrics::Gauge& For(const std::string& group, int32_t partition);
  [[nodiscard]] metrics::Gauge& AgeFor(const std::string& group);

 private:
  metrics::Family<metrics::Gauge>& family_;
  metrics::Family<metrics::Gauge>& age_;
};

/// Keeps one consumer's share of the lag gauge current, at most once per `interval`. A
/// partition the member lost is set to 0: the member (perhaps in another process) that holds it
/// now reports it, so `max` or `sum` over instances stays right. Not thread-safe: one per consumer.
class LagReporter {
 public:
  LagReporter(ConsumerLagMetrics& metrics, std::string group,
              std::chrono::milliseconds interval = std::chrono::seconds(1));

  void Report(Consumer& consumer);
  /// Sets the group's record age from a Poll's records: how long ago the oldest of them was
  /// written to the queue, or 0 when there was nothing to read (caught up). Lag counts records;
  /// this says how late they are.
  void Polled(std::span<const ConsumedRecord> records);

 private:
  ConsumerLagMetrics& metrics_;
  const std::string group_;
  const std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point next_report_{};
  std::map<int32_t, metrics::Gauge*> held_;
};

}  // namespace lp::queue
