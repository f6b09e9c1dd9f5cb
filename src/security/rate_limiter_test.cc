#include "security/rate_limiter.h"

#include <gtest/gtest.h>

namespace lp::security {
namespace {

using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

TEST(TokenBucketTest, AdmitsTheBurstThenTheRate) {
  const auto start = Clock::time_point{} + 1h;
  TokenBucket bucket(10, 20, start);
  EXPECT_FALSE(bucket.Take(15, start).has_value());
  EXPECT_FALSE(bucket.Take(5, start).has_value());
  const auto wait = bucket.Take(5, start);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 500ms);  // 5 tokens at 10/s
  EXPECT_TRUE(bucket.Take(5, start + 499ms).has_value());
  EXPECT_FALSE(bucket.Take(5, start + 500ms).has_value());
  // Never more than the burst, however long the quiet spell.
  EXPECT_FALSE(bucket.Take(20, start + 1h).has_value());
  EXPECT_TRUE(bucket.Take(1, start + 1h).has_value());
}

TEST(TokenBucketTest, ATakeLargerThanTheBurstPassesWhenFullAndLeavesADebt) {
  const auto start = Clock::time_point{} + 1h;
  TokenBucket bucket(10, 20, start);
  EXPECT_FALSE(bucket.Take(50, start).has_value());  // full: passes, 30 in debt
  const auto wait = bucket.Take(1, start);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 3100ms);  // back to 1 token after paying the 30 of debt
  EXPECT_TRUE(bucket.Take(50, start + 4s).has_value());  // 10 of 20: not full yet
  EXPECT_FALSE(bucket.Take(50, start + 5s).has_value());
}

TEST(RateLimiterTest, LimitsEachTenantApartAndCountsRefusals) {
  metrics::Registry registry;
  RateLimiter limiter(registry);
  const auto start = Clock::time_point{} + 1h;
  limiter.SetLimits({{"acme", RateLimit{.events_per_second = 100,
                                        .events_burst = 100,
                                        .bytes_per_second = 1000,
                                        .bytes_burst = 2000}}},
                    start);
  EXPECT_FALSE(limiter.TakeEvents("acme", 100, start).has_value());
  EXPECT_TRUE(limiter.TakeEvents("acme", 1, start).has_value());
  EXPECT_FALSE(limiter.TakeEvents("globex", 1'000'000, start).has_value());  // no limit
  EXPECT_FALSE(limiter.TakeBytes("acme", 2000, start).has_value());
  const auto wait = limiter.TakeBytes("acme", 500, start);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 500ms);
  const std::string text = registry.RenderText();
  EXPECT_NE(text.find(R"(rate_limited_requests_total{tenant="acme",limit="events"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(rate_limited_requests_total{tenant="acme",limit="bytes"} 1)"),
            std::string::npos)
      << text;
}

TEST(RateLimiterTest, NewLimitsKeepTheTokensTakenAndDropRemovedTenants) {
  metrics::Registry registry;
  RateLimiter limiter(registry);
  const auto start = Clock::time_point{} + 1h;
  limiter.SetLimits({{"acme", RateLimit{.events_per_second = 10, .events_burst = 10}}}, start);
  EXPECT_FALSE(limiter.TakeEvents("acme", 10, start).has_value());
  limiter.SetLimits({{"acme", RateLimit{.events_per_second = 20, .events_burst = 40}}}, start);
  EXPECT_TRUE(limiter.TakeEvents("acme", 1, start).has_value());  // still empty
  EXPECT_FALSE(limiter.TakeEvents("acme", 20, start + 1s).has_value());
  limiter.SetLimits({}, start + 1s);
  EXPECT_FALSE(limiter.TakeEvents("acme", 1000, start + 1s).has_value());
}

TEST(RateLimiterTest, TheRefusalSaysWhichLimitAndWhenToRetryInWholeSeconds) {
  const auto refusal = RefusalFor("acme", "events", 1200ms);
  EXPECT_EQ(refusal.retry_after, 2s);
  EXPECT_EQ(refusal.reason, "tenant \"acme\" is over its events per second limit; retry in 2 s");
  EXPECT_EQ(RefusalFor("acme", "bytes", 10ms).retry_after, 1s);
}

}  // namespace
}  // namespace lp::security
