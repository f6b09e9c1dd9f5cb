#pragma once

#include <chrono>
#include <thread>

#include "search/search_store.h"

namespace lp::search {

/// Deletes documents older than `max_age` from a search store: once at start, then every
/// `interval`. Owns one thread; Stop() is idempotent and also runs at destruction.
class Retention {
 public:
  Retention(SearchStore& store, std::chrono::milliseconds max_age,
            std::chrono::milliseconds interval = std::chrono::hours(1));
  ~Retention();

  void Start();
  void Stop();

 private:
  void Run(std::stop_token stop);

  SearchStore& store_;
  const std::chrono::milliseconds max_age_;
  const std::chrono::milliseconds interval_;
  std::jthread thread_;
};

}  // namespace lp::search
