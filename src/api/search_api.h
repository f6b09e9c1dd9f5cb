#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "api/query_pool.h"
#include "http/server.h"
#include "search/search_store.h"

namespace lp::api {

struct TailOptions {
  /// How often a tail asks the store for new events.
  std::chrono::milliseconds poll_interval{1000};
  /// A `: keep-alive` comment after this long without an event.
  std::chrono::milliseconds keep_alive{15'000};
  /// Tails open at once; past it /api/tail answers 429.
  size_t max_tails = 32;
};

/// The query API over a search store (DESIGN §3): GET /api/search, /api/histogram,
/// /api/facets, /api/context and /api/tail. Parameters are parsed and checked on the server's
/// thread (400 naming the parameter, or the query's syntax error with its position); the store
/// work runs on the QueryPool (429 with Retry-After when it is full, 504 when a query outlived
/// its timeout and was cancelled). Thread-safe. Stop() ends the tails; call it before the
/// servers carrying these routes stop.
class SearchApi {
 public:
  SearchApi(search::SearchStore& store, QueryPool& pool, TailOptions tail = {});
  ~SearchApi();
  SearchApi(const SearchApi&) = delete;
  SearchApi& operator=(const SearchApi&) = delete;

  void HandleSearch(http::Request& request, http::Responder respond);
  void HandleHistogram(http::Request& request, http::Responder respond);
  void HandleFacets(http::Request& request, http::Responder respond);
  void HandleContext(http::Request& request, http::Responder respond);
  void HandleTail(http::Request& request, http::Responder respond);
  void Stop();

 private:
  struct Tail;
  void RunTail(std::shared_ptr<Tail> tail);

  search::SearchStore& store_;
  QueryPool& pool_;
  const TailOptions tail_options_;
  std::mutex tails_mutex_;
  std::condition_variable tails_wake_;
  struct TailThread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<TailThread> tail_threads_;
  size_t open_tails_ = 0;
  bool stopping_ = false;
};

}  // namespace lp::api
