#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>
#include <vector>

#include "collector/batch_builder.h"
#include "collector/body_decoding.h"
#include "collector/event_writer.h"
#include "collector/protobuf_arena.h"

namespace lp::collector {

/// A stream's labels, in the order sent.
using LabelPairs = std::vector<std::pair<std::string, std::string>>;

/// Turns a Loki push request (`POST /loki/api/v1/push`: a PushRequest in protobuf,
/// snappy-compressed in block format as Promtail and Alloy send it, or Loki's JSON,
/// {"streams":[{"stream":{labels},"values":[["<ns>","<line>",{metadata}?]]}]}, which may also
/// be gzip or zstd) into logpipe events, one per entry in the order sent: the stream's labels →
/// `labels` (all of them), `service_name`, else `service`, else `job` → service, `host` or
/// `hostname` → host, the line → message, the entry's time → timestamp, structured metadata →
/// payload except `level`, `trace_id` and `span_id`, which fill those fields (a `level`,
/// `detected_level` or `severity` label too) (docs/PROTOCOLS.md). Everything a client can send
/// is answered by a result, never a crash (a fuzz target).
///
/// Not thread-safe: one per thread.
class LokiPushDecoder {
 public:
  explicit LokiPushDecoder(DecodeOptions options = {});

  /// Fills `out` (cleared first); every event gets the reserved `tenant`
  /// (BatchBuilder::SetTenant). A failure is the request's as a whole (400, 413, 415).
  [[nodiscard]] tl::expected<void, RequestFailure> Decode(WireEncoding encoding,
                                                          std::string_view content_encoding,
                                                          const std::string& body,
                                                          DecodedBatch& out,
                                                          std::string_view tenant = {});

 private:
  tl::expected<void, RequestFailure> DecodeProtobuf(std::string_view body, DecodedBatch& out);
  tl::expected<void, RequestFailure> DecodeJson(std::string_view body, DecodedBatch& out);
  /// Starts the events of one stream: `labels_` holds its labels.
  void StartStream();
  /// Adds one entry of the current stream; `metadata` is its structured metadata.
  void AddEntry(std::optional<EpochMillis> timestamp_ms, std::string_view line,
                const LabelPairs& metadata, DecodedBatch& out);

  DecodeOptions options_;
  BatchBuilder builder_;
  RequestArena arena_;
  simdjson::dom::parser parser_;
  LabelPairs labels_;
  LabelPairs metadata_;
  std::string_view service_;
  std::string_view host_;
  std::string_view stream_level_;
  JsonMembers stream_labels_;
  EventFields fields_;
  std::string event_json_;
  std::string decompressed_;
  std::string uncompressed_;
  size_t index_ = 0;
};

/// Parses a Prometheus label set (`{name="value", ...}`, values with `\"`, `\\` and `\n`
/// escapes) into `out`; false when the text is not one.
[[nodiscard]] bool ParseLabelSet(std::string_view text, LabelPairs& out);

}  // namespace lp::collector
