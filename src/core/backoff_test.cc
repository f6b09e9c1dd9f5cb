#include "core/backoff.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "core/result.h"

namespace lp {
namespace {

using namespace std::chrono_literals;

// Long enough that a wait which does not wake on stop or end at a deadline hangs the test until
// its CTest timeout.
constexpr RetryPolicy kHourLongBackoff{.initial_backoff = 1h, .max_backoff = 1h};

TEST(BackoffTest, DoublesUpToTheCapWithJitterBelowEachStep) {
  Backoff backoff(100ms, 1000ms);
  for (int attempt = 0; attempt < 30; ++attempt) {
    const std::chrono::milliseconds ceiling =
        std::min<std::chrono::milliseconds>(1000ms, 100ms * (1LL << std::min(attempt, 20)));
    const auto wait = backoff.Next(attempt);
    EXPECT_GE(wait, ceiling / 2) << attempt;
    EXPECT_LE(wait, ceiling) << attempt;
  }
}

TEST(RetryChainTest, RetriesRetryableErrorsUntilTheAttemptSucceeds) {
  RetryChain chain("test", {.initial_backoff = 1ms, .max_backoff = 2ms});
  int calls = 0;
  const Result<int> result = Retry(chain, [&]() -> Result<int> {
    if (++calls < 4) return Retryable("not yet");
    return 7;
  });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 7);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(chain.failures(), 3);
}

TEST(RetryChainTest, StopsAfterMaxAttemptsWithTheLastError) {
  RetryChain chain("test", {.initial_backoff = 1ms, .max_backoff = 2ms, .max_attempts = 3});
  int calls = 0;
  const Result<void> result = Retry(
      chain, [&]() -> Result<void> { return Retryable("failure " + std::to_string(++calls)); });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "failure 3");
  EXPECT_EQ(calls, 3);
}

TEST(RetryChainTest, NeverRetriesAPermanentError) {
  RetryChain chain("test", kHourLongBackoff);
  int calls = 0;
  const Result<void> result = Retry(chain, [&]() -> Result<void> {
    ++calls;
    return Permanent("refused");
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(calls, 1);
}

TEST(RetryChainTest, AStopRequestWakesTheWaitAtOnce) {
  std::stop_source stop;
  RetryChain chain("test", kHourLongBackoff, stop.get_token());
  auto stopper = std::async(std::launch::async, [&stop] {
    std::this_thread::sleep_for(20ms);  // Lets BackOff start waiting; it must wake either way.
    stop.request_stop();
  });
  EXPECT_FALSE(chain.BackOff());
  EXPECT_TRUE(chain.stop_requested());
}

TEST(RetryChainTest, ANestedChainWakesWhenTheEnclosingOneIsStopped) {
  std::stop_source stop;
  RetryChain outer("outer", kHourLongBackoff, stop.get_token());
  {
    RetryChain inner("inner", kHourLongBackoff);  // No stop token of its own.
    auto stopper = std::async(std::launch::async, [&stop] {
      std::this_thread::sleep_for(20ms);
      stop.request_stop();
    });
    EXPECT_FALSE(inner.BackOff());
  }
  // The inner chain is gone; the outer is innermost again.
  EXPECT_FALSE(outer.BackOff());
}

TEST(RetryChainTest, NeverWaitsPastItsDeadline) {
  RetryPolicy policy = kHourLongBackoff;
  policy.deadline = 50ms;
  RetryChain chain("test", policy);
  EXPECT_TRUE(chain.BackOff());  // Waits until the deadline, for one last attempt.
  EXPECT_FALSE(chain.BackOff());
}

TEST(RetryChainTest, ANestedChainKeepsWithinTheEnclosingDeadline) {
  RetryPolicy outer_policy = kHourLongBackoff;
  outer_policy.deadline = 50ms;
  RetryChain outer("outer", outer_policy);
  RetryChain inner("inner", kHourLongBackoff);
  EXPECT_TRUE(inner.BackOff());
  EXPECT_FALSE(inner.BackOff());
}

TEST(RetryChainTest, AChainMadeAfterAnotherEndedIsNotNestedInIt) {
  std::stop_source stop;
  { RetryChain earlier("earlier", kHourLongBackoff, stop.get_token()); }
  stop.request_stop();
  RetryChain later("later", {.initial_backoff = 1ms, .max_backoff = 1ms});
  EXPECT_FALSE(later.stop_requested());
  EXPECT_TRUE(later.BackOff());
}

}  // namespace
}  // namespace lp
