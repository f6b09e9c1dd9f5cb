#include "core/backoff.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace lp {

std::chrono::milliseconds Backoff::Next(int attempt) {
  const auto ceiling = std::min<int64_t>(max_.count(), initial_.count() << std::min(attempt, 20));
  std::uniform_int_distribution<int64_t> pick(ceiling / 2, ceiling);
  return std::chrono::milliseconds(pick(random_));
}

bool SleepUnlessStopped(std::stop_token stop, std::chrono::milliseconds duration) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace lp
