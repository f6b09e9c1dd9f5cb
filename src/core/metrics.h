#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lp::metrics {

/// A monotonically increasing count. Thread-safe, lock-free.
class Counter {
 public:
  void Increment(uint64_t amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

/// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount);
  [[nodiscard]] double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// Cumulative buckets with fixed upper bounds, as Prometheus expects. Thread-safe, lock-free.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);

  [[nodiscard]] const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  /// Per-bucket (non-cumulative) counts; the last is for values above every bound.
  [[nodiscard]] std::vector<uint64_t> BucketCounts() const;
  [[nodiscard]] double Sum() const { return sum_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t Count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

/// Latency buckets in seconds, from 100 µs to 10 s.
[[nodiscard]] std::vector<double> LatencyBuckets();
/// Size buckets in bytes, from 1 KiB to 64 MiB.
[[nodiscard]] std::vector<double> SizeBuckets();

enum class MetricType { kCounter, kGauge, kHistogram };

/// A named metric with a fixed set of label names and one child per label-value combination.
/// Children live as long as the registry; keep the returned references instead of looking them
/// up per event. Label values must come from a bounded set.
template <typename Metric>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::vector<double> bounds)
      : label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

  Metric& WithLabels(const std::vector<std::string>& values);
  [[nodiscard]] const std::vector<std::string>& label_names() const { return label_names_; }

  /// Calls `visit(label_values, metric)` for each child in label order, under the family's lock.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    std::lock_guard lock(mutex_);
    for (const auto& [values, metric] : children_) visit(values, *metric);
  }

 private:
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

/// Holds every metric of a process and renders the Prometheus text exposition format (0.0.4).
/// Registration happens at start-up; updates and rendering are thread-safe.
class Registry {
 public:
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help, std::vector<double> bounds,
                                  std::vector<std::string> label_names = {});

  /// A metric without labels whose value is read when rendered (a process's CPU time, say).
  /// `type` is kCounter or kGauge; `read` runs under the registry's lock and must be quick.
  void AddSampled(std::string name, std::string help, MetricType type,
                  std::function<double()> read);

  [[nodiscard]] std::string RenderText() const;

 private:
  struct Entry {
    std::string name;
    std::string help;
    MetricType type;
    std::function<double()> sampled;
    std::unique_ptr<Family<Counter>> counters;
    std::unique_ptr<Family<Gauge>> gauges;
    std::unique_ptr<Family<Histogram>> histograms;
  };
  Entry& Add(std::string name, std::string help, MetricType type);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace lp::metrics
