#pragma once

#include "collector/decoder_pool.h"
#include "collector/ingest_pipeline.h"
#include "collector/protocols/otlp_logs.h"
#include "http/server.h"
#include "security/authenticator.h"

namespace lp::collector {

/// `POST /v1/logs`, OTLP/HTTP: decodes with OtlpLogsDecoder, stores through the
/// IngestPipeline and answers in the request's encoding once durable: 200 with
/// `partial_success` when records were rejected, 400 for a body that is no export request,
/// 503 + Retry-After under backpressure and 429 + Retry-After over the tenant's rate (both
/// retryable for exporters, as the OTLP spec says).
///
/// Thread-safe: each request borrows a decoder.
class OtlpHttpHandler {
 public:
  OtlpHttpHandler(DecodeOptions options, IngestPipeline& pipeline);

  void HandleLogs(http::Request& request, http::Responder respond);

  /// Authentication's refusal (401/403) as a google.rpc.Status in the request's encoding.
  [[nodiscard]] static http::Response Refusal(const http::Request& request,
                                              const security::Authenticator::Refusal& refusal);

 private:
  using Decoding = PooledDecoding<OtlpLogsDecoder, DecodedBatch>;

  IngestPipeline& pipeline_;
  ProtocolMetrics metrics_;
  DecoderPool<Decoding> pool_;
};

}  // namespace lp::collector
