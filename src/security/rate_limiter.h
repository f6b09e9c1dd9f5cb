#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/metrics.h"

namespace lp::security {

/// A tenant's rates, from the tokens file's `[tenants.<name>]` table; 0 is unlimited. A burst
/// is what may be taken at once after a quiet spell (default: one second's worth).
struct RateLimit {
  double events_per_second = 0;
  double events_burst = 0;
  double bytes_per_second = 0;
  double bytes_burst = 0;

  friend bool operator==(const RateLimit&, const RateLimit&) = default;
};

/// Tokens accrue at `rate` per second up to `burst`. A take is admitted when the bucket holds
/// the amount, or is full when the amount is larger than the burst (a big request passes
/// after a quiet spell, and the debt it leaves holds the next ones back): the average stays at
/// `rate` and no request is refused forever. Not thread-safe.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate, double burst, Clock::time_point now);

  /// Takes `amount`, or returns how long until it could be taken.
  [[nodiscard]] std::optional<std::chrono::milliseconds> Take(double amount, Clock::time_point now);
  /// New limits; the tokens held are kept, up to the new burst.
  void Reset(double rate, double burst, Clock::time_point now);

 private:
  void Refill(Clock::time_point now);

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point updated_;
};

/// Per-tenant events/s and bytes/s limits of the collector (DESIGN §3): bytes are taken for the
/// body as received (compressed), before it is decoded; events after decoding. Refusals are
/// counted in `rate_limited_requests_total{tenant,limit}`; tenants come from the tokens file,
/// so the label is bounded. Thread-safe.
class RateLimiter {
 public:
  using Clock = TokenBucket::Clock;

  explicit RateLimiter(metrics::Registry& registry);

  /// Replaces the limits (at start and on each tokens reload); buckets of tenants that keep a
  /// limit keep their tokens.
  void SetLimits(const std::map<std::string, RateLimit, std::less<>>& limits,
                 Clock::time_point now = Clock::now());

  /// nullopt when `tenant` may send this much now; otherwise how long it should wait.
  [[nodiscard]] std::optional<std::chrono::milliseconds> TakeBytes(
      std::string_view tenant, size_t bytes, Clock::time_point now = Clock::now());
  [[nodiscard]] std::optional<std::chrono::milliseconds> TakeEvents(
      std::string_view tenant, size_t events, Clock::time_point now = Clock::now());

 private:
  struct Buckets {
    RateLimit limit;
    std::optional<TokenBucket> events;
    std::optional<TokenBucket> bytes;
  };
  std::optional<std::chrono::milliseconds> Take(std::string_view tenant, bool events, double amount,
                                                Clock::time_point now);

  metrics::Family<metrics::Counter>& limited_;
  std::mutex mutex_;
  std::map<std::string, Buckets, std::less<>> tenants_;
};

/// What a 429 for a tenant over its `limit` ("events" or "bytes") says, for a wait of `wait`:
/// the reason and `Retry-After` in whole seconds (at least 1). Each protocol answers it in its
/// own form.
struct RateLimitRefusal {
  std::string reason;
  std::chrono::seconds retry_after;
};
[[nodiscard]] RateLimitRefusal RefusalFor(std::string_view tenant, std::string_view limit,
                                          std::chrono::milliseconds wait);

}  // namespace lp::security
