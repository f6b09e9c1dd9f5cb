#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collector/decoder_pool.h"
#include "collector/ingest_pipeline.h"
#include "collector/protocols/es_bulk.h"
#include "http/server.h"
#include "security/authenticator.h"

namespace lp::collector {

/// The Elasticsearch API as log shippers use it: `_bulk` (stored through the IngestPipeline,
/// answered item by item once durable, 429 + Retry-After under backpressure and over the
/// tenant's rate) and harmless
/// answers to their start-up probes (version, license, health, nodes, templates, ILM), at the
/// root and under `/es/`. Every answer carries `X-Elastic-Product: Elasticsearch`, which the
/// official clients check.
///
/// Thread-safe: server threads call it concurrently; each request borrows a decoder.
class ElasticsearchApi {
 public:
  ElasticsearchApi(DecodeOptions options, IngestPipeline& pipeline);

  /// Every route but `GET /`, which the web UI shares (RootHandler answers it for clients
  /// that do not ask for HTML).
  [[nodiscard]] std::vector<http::Route> Routes();
  /// The answer to `GET /` for clients that do not accept text/html: the version probe.
  [[nodiscard]] http::Handler RootHandler();

  void HandleBulk(http::Request& request, http::Responder respond);

  /// Authentication's refusal (401/403) as Elasticsearch answers it: a `security_exception`,
  /// with the challenges its clients understand.
  [[nodiscard]] static http::Response Refusal(const http::Request& request,
                                              const security::Authenticator::Refusal& refusal);

 private:
  using Decoding = PooledDecoding<EsBulkDecoder, BulkBatch>;
  IngestPipeline& pipeline_;
  ProtocolMetrics metrics_;
  DecoderPool<Decoding> pool_;
};

/// The bulk answer: `{"took":..,"errors":..,"items":[{"<action>":{"_index","_id","status",
/// "result"|"error"}}]}` in Elasticsearch's shape.
[[nodiscard]] std::string BulkAnswerJson(const BulkBatch& batch, long long took_ms);

}  // namespace lp::collector
