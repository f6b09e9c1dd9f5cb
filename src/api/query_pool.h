#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "http/server.h"
#include "search/search_store.h"

namespace lp::api {

struct QueryPoolOptions {
  size_t threads = 2;
  /// Queries running or waiting at once; past it Submit refuses (the API answers 429).
  size_t max_queries = 8;
  /// Each query's deadline, counted from Submit; its Cancellation fires then.
  std::chrono::milliseconds timeout{30'000};
};

/// `query_rejected_total` (refused past the limit), `query_cancelled_total` (ran past their
/// timeout, or were still there at Stop), `queries_in_flight` (running or waiting).
struct QueryPoolMetrics {
  explicit QueryPoolMetrics(metrics::Registry& registry);

  metrics::Counter& rejected;
  metrics::Counter& cancelled;
  metrics::Gauge& in_flight;
};

/// Runs queries on threads of their own, never on the HTTP server's IO threads, so that slow
/// queries cannot hold up ingest. Bounded: at most `max_queries` accepted at once, each with a
/// Cancellation whose deadline is `timeout` after it was accepted. Thread-safe; Stop (or the
/// destructor) cancels what is still queued or running and joins the threads.
class QueryPool {
 public:
  /// A query: runs once on a pool thread with its cancellation.
  using Task = std::function<void(const search::Cancellation&)>;

  QueryPool(QueryPoolOptions options, QueryPoolMetrics& metrics);
  ~QueryPool();
  QueryPool(const QueryPool&) = delete;
  QueryPool& operator=(const QueryPool&) = delete;

  /// Queues the task; false (and the task is not run) when `max_queries` are already in, or the
  /// pool is stopping. With `client_gone` (http::Request's), the task's cancellation also fires
  /// once the client went away: a query nobody waits for gives its thread to the next.
  [[nodiscard]] bool Submit(Task task,
                            std::shared_ptr<const std::atomic<bool>> client_gone = nullptr);
  void Stop();

  [[nodiscard]] std::chrono::milliseconds timeout() const { return options_.timeout; }

 private:
  struct Job {
    Task task;
    std::unique_ptr<search::Cancellation> cancellation;
  };
  void Work();

  const QueryPoolOptions options_;
  QueryPoolMetrics& metrics_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::vector<search::Cancellation*> running_;
  size_t accepted_ = 0;  ///< Queued plus running.
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

/// Runs `work` (returning an http::Response) on the pool for `request` and answers with what it
/// returns (cancelled once the request's client went away); 429 with Retry-After when the pool
/// is full.
template <typename Work>
void RunOnPool(QueryPool& pool, const http::Request& request, http::Responder respond, Work work) {
  auto shared = std::make_shared<http::Responder>(std::move(respond));
  const bool accepted = pool.Submit(
      [shared, work = std::move(work)](const search::Cancellation& cancellation) mutable {
        (*shared)(work(cancellation));
      },
      request.client_gone);
  if (!accepted) {
    auto response = http::ErrorResponse(
        429, "too many queries at once (QUERY_MAX_CONCURRENT); retry in a moment");
    response.headers.emplace_back("Retry-After", "1");
    (*shared)(std::move(response));
  }
}

}  // namespace lp::api
