#pragma once

#include <memory>
#include <string>

#include "collector/decoder_pool.h"
#include "collector/ingest_pipeline.h"
#include "collector/request_decoder.h"
#include "collector/shipper_auth.h"
#include "http/server.h"

namespace lp::collector {

/// POST /logs: decodes and validates a request's events, hands the accepted ones to the queue
/// keyed by service, and answers only once the queue acknowledged them (DESIGN §3).
///
/// Thread-safe: server threads call it concurrently; each borrows a decoder from a pool.
class IngestHandler {
 public:
  IngestHandler(DecodeOptions options, IngestPipeline& pipeline, const ShipperAuth& auth);

  void HandleLogs(http::Request& request, http::Responder respond);

 private:
  struct Decoding {
    std::unique_ptr<RequestDecoder> decoder;
    DecodedBatch batch;
  };

  IngestPipeline& pipeline_;
  const ShipperAuth& auth_;
  ProtocolMetrics metrics_;
  DecoderPool<Decoding> pool_;
};

/// The 202/400 body: {"accepted":N,"rejected":M,"errors":[{"index":i,"error":"..."}]}.
[[nodiscard]] std::string SummaryJson(const DecodedBatch& batch);

}  // namespace lp::collector
