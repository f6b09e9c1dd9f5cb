#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "collector/batch_builder.h"
#include "collector/body_decoding.h"
#include "collector/event_writer.h"
#include "collector/protobuf_arena.h"

namespace lp::collector {

/// Turns an OTLP/HTTP logs export (`POST /v1/logs`, ExportLogsServiceRequest in protobuf or in
/// OTLP's JSON encoding; identity, gzip or zstd) into logpipe events, one per log record in
/// the order sent: resource `service.name` → service, `host.name` → host, the other resource
/// attributes and the scope name → labels, severity text (else number) → level, body → message,
/// trace and span ids → `trace_id`/`span_id` (lower-case hex), record attributes → payload
/// (docs/PROTOCOLS.md). Everything a client can send is answered by a result, never a crash.
///
/// Not thread-safe: one per thread.
class OtlpLogsDecoder {
 public:
  explicit OtlpLogsDecoder(DecodeOptions options = {});

  /// Fills `out` (cleared first); every event gets the reserved `tenant`
  /// (BatchBuilder::SetTenant). A failure is the request's as a whole (400, 413, 415).
  [[nodiscard]] tl::expected<void, RequestFailure> Decode(WireEncoding encoding,
                                                          std::string_view content_encoding,
                                                          const std::string& body,
                                                          DecodedBatch& out,
                                                          std::string_view tenant = {});

 private:
  DecodeOptions options_;
  BatchBuilder builder_;
  RequestArena arena_;
  simdjson::dom::parser parser_;
  EventFields fields_;
  std::string message_;
  std::string trace_id_;
  std::string span_id_;
  std::string event_json_;
  std::string decompressed_;
};

/// The success answer: ExportLogsServiceResponse, with `partial_success` naming how many
/// records were rejected and why when any were.
[[nodiscard]] std::string OtlpAnswer(WireEncoding encoding, const DecodedBatch& batch);
/// An error answer: a google.rpc.Status with `code` and `message`.
[[nodiscard]] std::string OtlpStatus(WireEncoding encoding, int code, std::string_view message);

}  // namespace lp::collector
