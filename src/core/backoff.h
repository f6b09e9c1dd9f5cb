#pragma once

#include <chrono>
#include <random>
#include <stop_token>
#include <string>
#include <type_traits>

namespace lp {

/// Exponential backoff with jitter, capped: attempt n waits a random time between half and all
/// of min(max, initial * 2^n). Not thread-safe: one per retrying thread.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), random_(std::random_device{}()) {}

  [[nodiscard]] std::chrono::milliseconds Next(int attempt);

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::mt19937_64 random_;
};

/// Sleeps for `duration` unless stop is requested first; returns false when stopping.
[[nodiscard]] bool SleepUnlessStopped(std::stop_token stop, std::chrono::milliseconds duration);

/// How a loop retries: the one settings shape of every retrying loop in logpipe.
struct RetryPolicy {
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{30'000};
  /// Attempts in all, the first included; 0: no limit (until stopped or past the deadline).
  int max_attempts = 0;
  /// How long after the first attempt the loop may start another; 0: no limit.
  std::chrono::milliseconds deadline{0};
};

/// One retrying loop: counts failed attempts and waits out a jittered exponential backoff
/// between them. The wait wakes at once when stop is requested and never runs past the deadline.
///
/// Chains nest: a RetryChain made while another lives on the same thread (an S3 request's
/// retries inside an archive upload's) is stopped by the outer one's stop token too and keeps
/// within its deadline, so nested retries cannot multiply a shutdown into minutes.
/// Lives on one thread, on the stack, inside any chain that encloses it.
class RetryChain {
 public:
  RetryChain(std::string name, const RetryPolicy& policy, std::stop_token stop = {});
  ~RetryChain();
  RetryChain(const RetryChain&) = delete;
  RetryChain& operator=(const RetryChain&) = delete;

  /// Called after a failed attempt: waits before the next one. False when the loop must give
  /// up instead: attempts used up, deadline passed, or stop requested (here or in an enclosing
  /// chain).
  [[nodiscard]] bool BackOff();
  /// Whether this chain or one enclosing it was told to stop.
  [[nodiscard]] bool stop_requested() const;
  /// Failed attempts so far.
  [[nodiscard]] int failures() const { return failures_; }
  /// What is retried, for log lines ("upload to the archive").
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  const std::string name_;
  const RetryPolicy policy_;
  const std::stop_token stop_;
  RetryChain* const outer_;
  std::chrono::steady_clock::time_point deadline_;
  Backoff backoff_;
  int failures_ = 0;
};

/// Runs `attempt` (returning a Result) until it succeeds, fails with an error that is not
/// retryable, or `chain` gives up; returns the last result.
template <typename Attempt>
std::invoke_result_t<Attempt&> Retry(RetryChain& chain, Attempt&& attempt) {
  while (true) {
    auto result = attempt();
    if (result || !result.error().retryable() || !chain.BackOff()) return result;
  }
}

}  // namespace lp
