#pragma once

#include <chrono>
#include <random>
#include <stop_token>

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

}  // namespace lp
