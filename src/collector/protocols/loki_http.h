#pragma once

#include "collector/decoder_pool.h"
#include "collector/ingest_pipeline.h"
#include "collector/protocols/loki_push.h"
#include "http/server.h"
#include "security/authenticator.h"

namespace lp::collector {

/// `POST /loki/api/v1/push`: decodes with LokiPushDecoder, stores through the IngestPipeline and
/// answers as Loki does, in plain text: 204 once durable; 400 naming the rejected entries (the
/// others are stored) or a body that is no push request; 429 + Retry-After over the tenant's
/// rate and 503 + Retry-After under backpressure, both of which Loki's clients retry.
///
/// Thread-safe: each request borrows a decoder.
class LokiPushHandler {
 public:
  LokiPushHandler(DecodeOptions options, IngestPipeline& pipeline);

  void HandlePush(http::Request& request, http::Responder respond);

  /// Authentication's refusal (401/403) in plain text, as Loki's gateways answer it.
  [[nodiscard]] static http::Response Refusal(const http::Request& request,
                                              const security::Authenticator::Refusal& refusal);

 private:
  using Decoding = PooledDecoding<LokiPushDecoder, DecodedBatch>;

  IngestPipeline& pipeline_;
  ProtocolMetrics metrics_;
  DecoderPool<Decoding> pool_;
};

}  // namespace lp::collector
