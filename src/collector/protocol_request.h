#pragma once

#include <functional>
#include <string>
#include <tl/expected.hpp>
#include <utility>

#include "collector/batch_builder.h"
#include "collector/body_decoding.h"
#include "collector/decoder_pool.h"
#include "collector/ingest_pipeline.h"
#include "http/server.h"

namespace lp::collector {

/// How one protocol decodes a request and answers each way it can end, in its own form.
/// `Decoding` is its pooled decoder with the `batch` it fills.
template <typename Decoding>
struct ProtocolRequest {
  /// Decodes the request into `decoding.batch`; a failure is the request's as a whole.
  std::function<tl::expected<void, RequestFailure>(Decoding& decoding)> decode;
  /// The answer to a request that failed to decode.
  std::function<http::Response(const RequestFailure& failure)> refused;
  /// The answer once the events are durable, made from the decoded batch before it is stored
  /// (the batch goes back to the pool while the queue works).
  std::function<http::Response(const Decoding& decoding)> stored;
  /// The answer when nothing was stored: the tenant over its rate, backpressure, a failure.
  std::function<http::Response(const StoreOutcome& outcome)> not_stored;
};

/// The events a protocol's batch holds (the Elasticsearch decoder's has its items beside them).
inline const DecodedBatch& EventsOf(const DecodedBatch& batch) { return batch; }
template <typename Batch>
const DecodedBatch& EventsOf(const Batch& batch) {
  return batch.events;
}

/// The decoding of a protocol whose decoder reads the body in either wire encoding (OTLP, Loki).
template <typename Decoding>
auto DecodeInEncoding(const http::Request& request, WireEncoding encoding) {
  return [&request, encoding](Decoding& decoding) {
    return decoding.decoder.Decode(encoding, request.content_encoding, request.body, decoding.batch,
                                   request.tenant);
  };
}

/// The path of every HTTP protocol's request once its own checks passed: the tenant's bytes
/// rate, a decoder borrowed from `pool`, decoding (a failure counted by its status), then the
/// pipeline's Store, answered through `protocol` once the events are durable or refused.
template <typename Decoding>
void DecodeAndStore(IngestPipeline& pipeline, const ProtocolMetrics& metrics,
                    DecoderPool<Decoding>& pool, const http::Request& request,
                    http::Responder respond, ProtocolRequest<Decoding> protocol) {
  if (auto refused = pipeline.AdmitBody(request.tenant, request.body.size())) {
    return respond(protocol.not_stored(*refused));
  }
  auto decoding = pool.Borrow();
  if (auto decoded = protocol.decode(*decoding); !decoded) {
    pipeline.CountFailedRequest(std::to_string(decoded.error().status));
    return respond(protocol.refused(decoded.error()));
  }
  pipeline.Store(metrics, request.tenant, EventsOf(decoding->batch),
                 [stored = protocol.stored(*decoding), not_stored = std::move(protocol.not_stored),
                  respond = std::move(respond)](const StoreOutcome& outcome) mutable {
                   if (outcome.kind != StoreOutcome::Kind::kStored) {
                     return respond(not_stored(outcome));
                   }
                   respond(std::move(stored));
                 });
}

}  // namespace lp::collector
