#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/batch_builder.h"
#include "collector/collector_metrics.h"
#include "collector/decoder_pool.h"
#include "queue/queue.h"
#include "security/rate_limiter.h"
#include "security/redactor.h"

namespace lp::collector {

struct IngestOptions {
  std::string topic = "app-logs";
  /// Per-tenant rates (null: none): bytes taken before decoding, events after; 429 over them.
  security::RateLimiter* rate_limiter = nullptr;
  /// PII redaction before the queue (null: none); dropped events count as accepted.
  const security::Redactor* redactor = nullptr;
  /// Set with a redactor: an event whose payload.ip_address is redacted gets its `geo` here,
  /// from the address as it came (the processor cannot locate a masked one). Makes one
  /// locator per pooled redaction buffer (each used by one request at a time).
  std::function<security::AddressLocator()> new_locator{};
};

/// How storing a request's accepted events ended (or why the request was refused first).
struct StoreOutcome {
  enum class Kind {
    kStored,       ///< Every event is durable in the queue: answer success.
    kRetryLater,   ///< Backpressure (queue full or unreachable): answer 429/503 + Retry-After.
    kRateLimited,  ///< The tenant is over its rate: answer 429 + Retry-After (`retry_after`).
    kFailed,       ///< A permanent failure: answer 500.
  };
  Kind kind = Kind::kStored;
  std::string message{};  ///< For the client, when not stored.
  std::chrono::seconds retry_after{0};

  /// The value of the Retry-After header for kRetryLater and kRateLimited.
  [[nodiscard]] std::string RetryAfter() const;
};

/// What every ingest protocol does around its decoder (DESIGN §3): takes the tenant's bytes
/// before decoding and its events after, redacts, counts by protocol, produces the events to
/// the queue keyed by service, and reports only once the queue acknowledged them, so each
/// protocol answers after durability in its own form.
///
/// Thread-safe: server threads call it concurrently.
class IngestPipeline {
 public:
  using Done = std::function<void(const StoreOutcome&)>;

  IngestPipeline(IngestOptions options, queue::Producer& producer, CollectorMetrics& metrics);

  /// Takes a body's size (as received, compressed) from `tenant`'s bytes rate, before it is
  /// decoded; a kRateLimited outcome when over it. No tenant (authentication off): no limit.
  [[nodiscard]] std::optional<StoreOutcome> AdmitBody(std::string_view tenant, size_t bytes);
  /// Takes the accepted events from `tenant`'s events rate (done gets kRateLimited when over
  /// it, and nothing is stored), counts `batch`'s rejected events, redacts the accepted ones,
  /// stores them and calls `done` (on any thread) once they are durable or failed; with no
  /// event left, at once with kStored. The batch may be reused as soon as Store returns.
  void Store(const ProtocolMetrics& protocol, std::string_view tenant, const DecodedBatch& batch,
             Done done);
  /// Counts a request refused as a whole, by reason ("400", "no_valid_event", ...).
  void CountFailedRequest(const std::string& reason);
  /// What redaction (and the `geo` it adds) would make of `batch`'s accepted events, stored
  /// and counted nowhere: {"redaction":"on"|"off","events":[{"outcome":"redacted"|
  /// "unchanged"|"dropped","event":{...}|null,"redactions":[{"rule","path","action"}]}]}.
  [[nodiscard]] std::string RedactionDryRun(const DecodedBatch& batch);

  [[nodiscard]] CollectorMetrics& metrics() { return metrics_; }

 private:
  struct Redaction {
    security::RedactionScratch scratch;
    std::string redacted;  ///< The redacted events, back to back.
    std::vector<std::pair<size_t, size_t>> spans;
  };
  /// Redacts the records' values in place (into `redaction.redacted`), dropping those to drop.
  void Redact(Redaction& redaction, std::vector<queue::OutgoingRecord>& records) const;
  void Produce(const ProtocolMetrics& protocol, const std::vector<queue::OutgoingRecord>& records,
               Done done);
  [[nodiscard]] StoreOutcome RateLimited(std::string_view tenant, std::string_view limit,
                                         std::chrono::milliseconds wait);

  const IngestOptions options_;
  queue::Producer& producer_;
  CollectorMetrics& metrics_;
  DecoderPool<Redaction> redactions_;
};

}  // namespace lp::collector
