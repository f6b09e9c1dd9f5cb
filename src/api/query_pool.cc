#include "api/query_pool.h"

#include <algorithm>

namespace lp::api {

QueryPoolMetrics::QueryPoolMetrics(metrics::Registry& registry)
    : rejected(registry
                   .AddCounter("query_rejected_total",
                               "Queries refused (429) because QUERY_MAX_CONCURRENT were in.")
                   .WithLabels({})),
      cancelled(registry
                    .AddCounter(
                        "query_cancelled_total",
                        "Queries cancelled: past QUERY_TIMEOUT, their client gone, or at shutdown.")
                    .WithLabels({})),
      in_flight(registry.AddGauge("queries_in_flight", "Queries running or waiting for a thread.")
                    .WithLabels({})) {}

QueryPool::QueryPool(QueryPoolOptions options, QueryPoolMetrics& metrics)
    : options_(options), metrics_(metrics) {
  for (size_t i = 0; i < std::max<size_t>(1, options_.threads); ++i) {
    threads_.emplace_back([this] { Work(); });
  }
}

QueryPool::~QueryPool() { Stop(); }

bool QueryPool::Submit(Task task, std::shared_ptr<const std::atomic<bool>> client_gone) {
  auto cancellation = std::make_unique<search::Cancellation>(
      std::chrono::steady_clock::now() + options_.timeout, std::move(client_gone));
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || accepted_ >= options_.max_queries) {
      metrics_.rejected.Increment();
      return false;
    }
    ++accepted_;
    metrics_.in_flight.Set(static_cast<double>(accepted_));
    queue_.push_back(Job{std::move(task), std::move(cancellation)});
  }
  wake_.notify_one();
  return true;
}

void QueryPool::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    for (auto* running : running_) running->Cancel();
    // Queued queries still run, at once cancelled, so that each answers its client.
    for (auto& job : queue_) job.cancellation->Cancel();
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

void QueryPool::Work() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      if (stopping_) job.cancellation->Cancel();
      running_.push_back(job.cancellation.get());
    }
    job.task(*job.cancellation);
    if (job.cancellation->cancelled()) metrics_.cancelled.Increment();
    std::lock_guard lock(mutex_);
    std::erase(running_, job.cancellation.get());
    --accepted_;
    metrics_.in_flight.Set(static_cast<double>(accepted_));
  }
}

}  // namespace lp::api
