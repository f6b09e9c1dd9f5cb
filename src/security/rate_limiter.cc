#include "security/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace lp::security {

TokenBucket::TokenBucket(double rate, double burst, Clock::time_point now)
    : rate_(rate), burst_(burst), tokens_(burst), updated_(now) {}

void TokenBucket::Refill(Clock::time_point now) {
  if (now <= updated_) return;
  const double seconds = std::chrono::duration<double>(now - updated_).count();
  tokens_ = std::min(burst_, tokens_ + seconds * rate_);
  updated_ = now;
}

std::optional<std::chrono::milliseconds> TokenBucket::Take(double amount, Clock::time_point now) {
  Refill(now);
  const double needed = std::min(amount, burst_);
  if (tokens_ >= needed) {
    tokens_ -= amount;
    return std::nullopt;
  }
  const double seconds = (needed - tokens_) / rate_;
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(seconds * 1000)));
}

void TokenBucket::Reset(double rate, double burst, Clock::time_point now) {
  Refill(now);
  rate_ = rate;
  burst_ = burst;
  tokens_ = std::min(tokens_, burst_);
}

RateLimiter::RateLimiter(metrics::Registry& registry)
    : limited_(registry.AddCounter("rate_limited_requests_total",
                                   "Ingest requests answered 429 because their tenant was over "
                                   "its rate, by tenant and limit (events, bytes).",
                                   {"tenant", "limit"})) {}

void RateLimiter::SetLimits(const std::map<std::string, RateLimit, std::less<>>& limits,
                            Clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::map<std::string, Buckets, std::less<>> next;
  for (const auto& [tenant, limit] : limits) {
    Buckets buckets;
    buckets.limit = limit;
    const auto previous = tenants_.find(tenant);
    const auto bucket = [&](double rate, double burst, std::optional<TokenBucket> Buckets::*which) {
      if (rate <= 0) return;
      if (previous != tenants_.end() && (previous->second.*which)) {
        buckets.*which = previous->second.*which;
        (buckets.*which)->Reset(rate, burst, now);
      } else {
        buckets.*which = TokenBucket(rate, burst, now);
      }
    };
    bucket(limit.events_per_second, limit.events_burst, &Buckets::events);
    bucket(limit.bytes_per_second, limit.bytes_burst, &Buckets::bytes);
    next.emplace(tenant, std::move(buckets));
  }
  tenants_ = std::move(next);
}

std::optional<std::chrono::milliseconds> RateLimiter::Take(std::string_view tenant, bool events,
                                                           double amount, Clock::time_point now) {
  std::optional<std::chrono::milliseconds> wait;
  {
    std::lock_guard lock(mutex_);
    const auto found = tenants_.find(tenant);
    if (found == tenants_.end()) return std::nullopt;
    auto& bucket = events ? found->second.events : found->second.bytes;
    if (!bucket) return std::nullopt;
    wait = bucket->Take(amount, now);
  }
  if (wait) limited_.WithLabels({std::string(tenant), events ? "events" : "bytes"}).Increment();
  return wait;
}

std::optional<std::chrono::milliseconds> RateLimiter::TakeBytes(std::string_view tenant,
                                                                size_t bytes,
                                                                Clock::time_point now) {
  return Take(tenant, false, static_cast<double>(bytes), now);
}

std::optional<std::chrono::milliseconds> RateLimiter::TakeEvents(std::string_view tenant,
                                                                 size_t events,
                                                                 Clock::time_point now) {
  return Take(tenant, true, static_cast<double>(events), now);
}

RateLimitRefusal RefusalFor(std::string_view tenant, std::string_view limit,
                            std::chrono::milliseconds wait) {
  const int64_t seconds = std::max<int64_t>(1, (wait.count() + 999) / 1000);
  return RateLimitRefusal{.reason = "tenant \"" + std::string(tenant) + "\" is over its " +
                                    std::string(limit) + " per second limit; retry in " +
                                    std::to_string(seconds) + " s",
                          .retry_after = std::chrono::seconds(seconds)};
}

}  // namespace lp::security
