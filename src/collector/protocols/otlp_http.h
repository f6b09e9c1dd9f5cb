#pragma once

#include "collector/decoder_pool.h"
#include "collector/ingest_pipeline.h"
#include "collector/protocols/otlp_logs.h"
#include "collector/shipper_auth.h"
#include "http/server.h"

namespace lp::collector {

/// `POST /v1/logs`, OTLP/HTTP: decodes with OtlpLogsDecoder, stores through the
/// IngestPipeline and answers in the request's encoding once durable: 200 with
/// `partial_success` when records were rejected, 400 for a body that is no export request,
/// 503 + Retry-After under backpressure (retryable for exporters, as the OTLP spec says).
///
/// Thread-safe: each request borrows a decoder.
class OtlpHttpHandler {
 public:
  OtlpHttpHandler(DecodeOptions options, IngestPipeline& pipeline, const ShipperAuth& auth);

  void HandleLogs(http::Request& request, http::Responder respond);

 private:
  struct Decoding {
    OtlpLogsDecoder decoder;
    DecodedBatch batch;
    explicit Decoding(const DecodeOptions& options) : decoder(options) {}
  };

  IngestPipeline& pipeline_;
  const ShipperAuth& auth_;
  ProtocolMetrics metrics_;
  DecoderPool<Decoding> pool_;
};

}  // namespace lp::collector
