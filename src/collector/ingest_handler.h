#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collector/collector_metrics.h"
#include "collector/request_decoder.h"
#include "http/server.h"
#include "queue/queue.h"
#include "security/rate_limiter.h"
#include "security/redactor.h"

namespace lp::collector {

struct IngestOptions {
  std::string topic = "app-logs";
  DecodeOptions decode{};
  /// Per-tenant rates (null: none): bytes taken before decoding, events after; 429 over them.
  security::RateLimiter* rate_limiter = nullptr;
  /// PII redaction before the queue (null: none); dropped events count as accepted.
  const security::Redactor* redactor = nullptr;
};

/// POST /logs: decodes and validates a request's events, stamps each with the tenant
/// authentication put in `request.tenant`, hands the accepted ones to the queue keyed by
/// service, and answers only once the queue acknowledged them (DESIGN §3). Authentication is
/// the route's (security::RequireScope), not the handler's.
///
/// Thread-safe: server threads call it concurrently; each borrows a decoder from a pool.
class IngestHandler {
 public:
  IngestHandler(IngestOptions options, queue::Producer& producer, CollectorMetrics& metrics);

  void HandleLogs(http::Request& request, http::Responder respond);

 private:
  struct Decoding {
    std::unique_ptr<RequestDecoder> decoder;
    DecodedBatch batch;
    security::RedactionScratch redaction;
    std::string redacted;  ///< The redacted events, back to back.
  };
  std::unique_ptr<Decoding> Borrow();
  /// Redacts the records' values in place (into `decoding.redacted`), dropping those to drop.
  void Redact(Decoding& decoding, std::vector<queue::OutgoingRecord>& records);
  void Return(std::unique_ptr<Decoding> decoding);

  const IngestOptions options_;
  queue::Producer& producer_;
  CollectorMetrics& metrics_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Decoding>> pool_;
};

/// The 202/400 body: {"accepted":N,"rejected":M,"errors":[{"index":i,"error":"..."}]}.
[[nodiscard]] std::string SummaryJson(const DecodedBatch& batch);

}  // namespace lp::collector
