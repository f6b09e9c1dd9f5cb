#pragma once

#include <string>

#include "collector/decoder_pool.h"
#include "collector/ingest_pipeline.h"
#include "collector/request_decoder.h"
#include "http/server.h"

namespace lp::collector {

/// POST /logs: decodes and validates a request's events, stamps each with the tenant
/// authentication put in `request.tenant`, and stores the accepted ones through the
/// IngestPipeline (rate limits, redaction, the queue keyed by service), answering only once the
/// queue acknowledged them (DESIGN §3). Authentication is the route's (security::RequireScope),
/// not the handler's.
///
/// Thread-safe: server threads call it concurrently; each borrows a decoder from a pool.
class IngestHandler {
 public:
  IngestHandler(DecodeOptions options, IngestPipeline& pipeline);

  void HandleLogs(http::Request& request, http::Responder respond);
  /// POST /api/redaction/dry-run: the body decoded as POST /logs decodes it, answered with what
  /// redaction would make of each accepted event (IngestPipeline::RedactionDryRun, plus the
  /// 202 body's counts and errors); nothing is stored, counted or rate limited. 200, or 400
  /// when no event is valid.
  void HandleRedactionDryRun(http::Request& request, http::Responder respond);

 private:
  using Decoding = PooledDecoding<RequestDecoder, DecodedBatch>;

  IngestPipeline& pipeline_;
  ProtocolMetrics metrics_;
  DecoderPool<Decoding> pool_;
};

/// The 202/400 body: {"accepted":N,"rejected":M,"errors":[{"index":i,"error":"..."}]}.
[[nodiscard]] std::string SummaryJson(const DecodedBatch& batch);

}  // namespace lp::collector
