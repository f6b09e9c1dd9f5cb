#pragma once

#include <chrono>
#include <map>
#include <string>

#include "core/metrics.h"
#include "queue/queue.h"

namespace lp::queue {

/// The `consumer_lag_messages{group,partition}` family; one per process, shared by every
/// consumer group in it.
class ConsumerLagMetrics {
 public:
  explicit ConsumerLagMetrics(metrics::Registry& registry);

  [[nodiscard]] metrics::Gauge& For(const std::string& group, int32_t partition);

 private:
  metrics::Family<metrics::Gauge>& family_;
};

/// Keeps one consumer's share of the lag gauge current, at most once per `interval`. A
/// partition the member lost is set to 0: the member (perhaps in another process) that holds it
/// now reports it, so `max` or `sum` over instances stays right. Not thread-safe: one per consumer.
class LagReporter {
 public:
  LagReporter(ConsumerLagMetrics& metrics, std::string group,
              std::chrono::milliseconds interval = std::chrono::seconds(1));

  void Report(Consumer& consumer);

 private:
  ConsumerLagMetrics& metrics_;
  const std::string group_;
  const std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point next_report_{};
  std::map<int32_t, metrics::Gauge*> held_;
};

}  // namespace lp::queue
