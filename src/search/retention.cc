#include "search/retention.h"

#include <condition_variable>
#include <mutex>

#include "core/logging.h"

namespace lp::search {

Retention::Retention(SearchStore& store, std::chrono::milliseconds max_age,
                     std::chrono::milliseconds interval)
    : store_(store), max_age_(max_age), interval_(interval) {}

Retention::~Retention() { Stop(); }

void Retention::Start() {
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void Retention::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void Retention::Run(std::stop_token stop) {
  const Logger log("search-retention");
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    const auto deleted = store_.DeleteArrivedBefore((now - max_age_).count());
    if (!deleted) {
      log.Warn("deleting old documents failed; trying again later",
               {{"error", deleted.error().message}});
    } else if (*deleted > 0) {
      log.Info("deleted old documents", {{"count", std::to_string(*deleted)}});
    }
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, interval_, [] { return false; });
  }
}

}  // namespace lp::search
