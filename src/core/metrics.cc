#include "core/metrics.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace lp::metrics {
namespace {

void AppendNumber(std::string& out, double value) {
  if (value == static_cast<double>(static_cast<int64_t>(value)) && value < 1e15 && value > -1e15) {
    out += std::to_string(static_cast<int64_t>(value));
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Renders `{a="1",b="2"}` plus an optional extra label (used for `le`).
void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    AppendEscapedLabelValue(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  const std::vector<std::string>& label_names,
                  const std::vector<std::string>& values, double value,
                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
  out += name;
  out += suffix;
  AppendLabels(out, label_names, values, extra_name, extra_value);
  out += ' ';
  AppendNumber(out, value);
  out += '\n';
}

std::vector<double> Exponential(double start, double factor, size_t count) {
  std::vector<double> bounds;
  double bound = start;
  for (size_t i = 0; i < count; ++i) {
    bounds.push_back(bound);
    bound *= factor;
  }
  return bounds;
}

}  // namespace

void Gauge::Add(double amount) {
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(upper_bounds_.size() + 1)) {
  if (!std::is_sorted(upper_bounds_.begin(), upper_bounds_.end())) {
    throw std::invalid_argument("histogram bounds must be sorted");
  }
}

void Histogram::Observe(double value) {
  const auto bucket = static_cast<size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  double current = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(current, current + value, std::memory_order_relaxed)) {
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> counts(upper_bounds_.size() + 1);
  for (size_t i = 0; i < counts.size(); ++i) {
    counts[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  return counts;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::vector<double> SizeBuckets() { return Exponential(1024, 4, 9); }

template <typename Metric>
Metric& Family<Metric>::WithLabels(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("wrong number of label values");
  }
  std::lock_guard lock(mutex_);
  auto& child = children_[values];
  if (!child) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      child = std::make_unique<Histogram>(bounds_);
    } else {
      child = std::make_unique<Metric>();
    }
  }
  return *child;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry::Entry& Registry::Add(std::string name, std::string help, MetricType type) {
  std::lock_guard lock(mutex_);
  for (const auto& entry : entries_) {
    if (entry->name == name) throw std::invalid_argument("metric registered twice: " + name);
  }
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = type;
  entries_.push_back(std::move(entry));
  return *entries_.back();
}

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  auto& entry = Add(std::move(name), std::move(help), MetricType::kCounter);
  entry.counters = std::make_unique<Family<Counter>>(std::move(label_names), std::vector<double>{});
  return *entry.counters;
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
  auto& entry = Add(std::move(name), std::move(help), MetricType::kGauge);
  entry.gauges = std::make_unique<Family<Gauge>>(std::move(label_names), std::vector<double>{});
  return *entry.gauges;
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<double> bounds,
                                          std::vector<std::string> label_names) {
  auto& entry = Add(std::move(name), std::move(help), MetricType::kHistogram);
  entry.histograms = std::make_unique<Family<Histogram>>(std::move(label_names), std::move(bounds));
  return *entry.histograms;
}

void Registry::AddSampled(std::string name, std::string help, MetricType type,
                          std::function<double()> read) {
  Add(std::move(name), std::move(help), type).sampled = std::move(read);
}

std::string Registry::RenderText() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& entry : entries_) {
    const std::string& name = entry->name;
    out += "# HELP " + name + " " + entry->help + "\n";
    if (entry->sampled) {
      out += "# TYPE " + name + (entry->type == MetricType::kCounter ? " counter\n" : " gauge\n");
      AppendSample(out, name, "", {}, {}, entry->sampled());
      continue;
    }
    switch (entry->type) {
      case MetricType::kCounter:
        out += "# TYPE " + name + " counter\n";
        entry->counters->ForEach([&](const auto& values, const Counter& counter) {
          AppendSample(out, name, "", entry->counters->label_names(), values,
                       static_cast<double>(counter.Value()));
        });
        break;
      case MetricType::kGauge:
        out += "# TYPE " + name + " gauge\n";
        entry->gauges->ForEach([&](const auto& values, const Gauge& gauge) {
          AppendSample(out, name, "", entry->gauges->label_names(), values, gauge.Value());
        });
        break;
      case MetricType::kHistogram:
        out += "# TYPE " + name + " histogram\n";
        entry->histograms->ForEach([&](const auto& values, const Histogram& histogram) {
          const auto& labels = entry->histograms->label_names();
          const auto counts = histogram.BucketCounts();
          uint64_t cumulative = 0;
          for (size_t i = 0; i < histogram.upper_bounds().size(); ++i) {
            cumulative += counts[i];
            std::string bound;
            AppendNumber(bound, histogram.upper_bounds()[i]);
            AppendSample(out, name, "_bucket", labels, values, static_cast<double>(cumulative),
                         "le", bound);
          }
          cumulative += counts.back();
          AppendSample(out, name, "_bucket", labels, values, static_cast<double>(cumulative), "le",
                       "+Inf");
          AppendSample(out, name, "_sum", labels, values, histogram.Sum());
          AppendSample(out, name, "_count", labels, values, static_cast<double>(histogram.Count()));
        });
        break;
    }
  }
  return out;
}

}  // namespace lp::metrics
