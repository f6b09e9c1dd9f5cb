#include "core/backoff.h"

#include <algorithm>
#include <condition_variable>
#include <list>
#include <mutex>

namespace lp {
namespace {

// The innermost RetryChain alive on this thread: the next one made here nests inside it.
thread_local RetryChain* innermost_chain = nullptr;

}  // namespace

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

RetryChain::RetryChain(std::string name, const RetryPolicy& policy, std::stop_token stop)
    : name_(std::move(name)),
      policy_(policy),
      stop_(std::move(stop)),
      outer_(innermost_chain),
      deadline_(policy.deadline.count() > 0 ? std::chrono::steady_clock::now() + policy.deadline
                                            : std::chrono::steady_clock::time_point::max()),
      backoff_(policy.initial_backoff, policy.max_backoff) {
  if (outer_ != nullptr) deadline_ = std::min(deadline_, outer_->deadline_);
  innermost_chain = this;
}

RetryChain::~RetryChain() { innermost_chain = outer_; }

bool RetryChain::stop_requested() const {
  for (const RetryChain* chain = this; chain != nullptr; chain = chain->outer_) {
    if (chain->stop_.stop_requested()) return true;
  }
  return false;
}

bool RetryChain::BackOff() {
  ++failures_;
  if (policy_.max_attempts > 0 && failures_ >= policy_.max_attempts) return false;
  const auto now = std::chrono::steady_clock::now();
  if (now >= deadline_ || stop_requested()) return false;
  const auto wait =
      std::min<std::chrono::steady_clock::duration>(backoff_.Next(failures_ - 1), deadline_ - now);

  // One wake-up for a stop request at any level of the chain.
  std::mutex mutex;
  std::condition_variable_any wake;
  const auto notify = [&] {
    std::lock_guard lock(mutex);
    wake.notify_all();
  };
  std::list<std::stop_callback<decltype(notify)>> on_stop;
  for (const RetryChain* chain = this; chain != nullptr; chain = chain->outer_) {
    if (chain->stop_.stop_possible()) on_stop.emplace_back(chain->stop_, notify);
  }
  std::unique_lock lock(mutex);
  wake.wait_for(lock, wait, [this] { return stop_requested(); });
  return !stop_requested();
}

}  // namespace lp
