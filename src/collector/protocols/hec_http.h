#pragma once

#include <vector>

#include "collector/decoder_pool.h"
#include "collector/ingest_pipeline.h"
#include "collector/protocols/splunk_hec.h"
#include "http/server.h"
#include "security/authenticator.h"

namespace lp::collector {

/// Splunk's HTTP Event Collector: `/services/collector/event` (also `/services/collector`),
/// `/services/collector/raw` (each also with `/1.0`) stored through the IngestPipeline, and
/// `/services/collector/health`. Answers are HEC's `{"text":..,"code":N}`: 200 code 0 once
/// durable; 400 code 5 (no data), 6 (invalid data format), 12 (event field required) or 13
/// (event field blank) with `invalid-event-number` for the first rejected event (the others are
/// stored); 429 (over the tenant's rate) and 503 (backpressure) code 9 with Retry-After.
///
/// Thread-safe: each request borrows a decoder.
class HecHandler {
 public:
  /// `queue` is the one `pipeline` stores into: the health check reports whether it takes writes.
  HecHandler(DecodeOptions options, IngestPipeline& pipeline, queue::Queue& queue);

  /// The routes needing a token (the health check does not).
  [[nodiscard]] std::vector<http::Route> IngestRoutes();
  /// `/services/collector/health` (no token): 200 code 17 while the queue takes writes, else
  /// 503 code 18, as Splunk answers when its queues are full.
  [[nodiscard]] http::Route HealthRoute();

  /// Authentication's refusal as HEC answers it: 401 code 2 without a token, 403 code 4 for a
  /// token it does not know or one without the ingest scope.
  [[nodiscard]] static http::Response Refusal(const http::Request& request,
                                              const security::Authenticator::Refusal& refusal);

 private:
  using Decoding = PooledDecoding<HecDecoder, DecodedBatch>;
  void Handle(bool raw, http::Request& request, http::Responder respond);

  IngestPipeline& pipeline_;
  queue::Queue& queue_;
  ProtocolMetrics metrics_;
  DecoderPool<Decoding> pool_;
};

/// A HEC answer: `{"text":"<text>","code":<code>}`, with `invalid-event-number` when given.
[[nodiscard]] http::Response HecAnswer(unsigned status, int code, std::string_view text,
                                       std::optional<size_t> invalid_event = std::nullopt);

}  // namespace lp::collector
