#include "queue/lag_reporter.h"

#include <algorithm>
#include <limits>

namespace lp::queue {

ConsumerLagMetrics::ConsumerLagMetrics(metrics::Registry& registry)
    : family_(registry.AddGauge("consumer_lag_messages",
                                "Records of the partition after the group's committed offset.",
                                {"group", "partition"})),
      age_(registry.AddGauge("consumer_record_age_seconds",
                             "Age of the oldest record in the group's latest poll (0: caught up).",
                             {"group"})) {}

metrics::Gauge& ConsumerLagMetrics::For(const std::string& group, int32_t partition) {
  return family_.WithLabels({group, std::to_string(partition)});
}

LagReporter::LagReporter(ConsumerLagMetrics& metrics, std::string group,
                         std::chrono::milliseconds interval)
    : metrics_(metrics), group_(std::move(group)), interval_(interval) {}

metrics::Gauge& ConsumerLagMetrics::AgeFor(const std::string& group) {
  return age_.WithLabels({group});
}

void LagReporter::Polled(std::span<const ConsumedRecord> records) {
  int64_t oldest = std::numeric_limits<int64_t>::max();
  for (const auto& record : records) oldest = std::min(oldest, record.timestamp_ms);
  double age = 0;
  if (!records.empty()) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    age = std::max<double>(0, static_cast<double>(now - oldest) / 1000);
  }
  metrics_.AgeFor(group_).Set(age);
}

void LagReporter::Report(Consumer& consumer) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_report_) return;
  next_report_ = now + interval_;
  const auto lags = consumer.Lag();
  if (!lags) return;  // Kept as last known; the next report tries again.
  std::map<int32_t, metrics::Gauge*> held;
  for (const auto& lag : *lags) {
    auto* gauge = &metrics_.For(group_, lag.partition);
    gauge->Set(static_cast<double>(lag.messages));
    held[lag.partition] = gauge;
  }
  for (const auto& [partition, gauge] : held_) {
    if (!held.contains(partition)) gauge->Set(0);
  }
  held_ = std::move(held);
}

}  // namespace lp::queue
