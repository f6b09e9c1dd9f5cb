#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "collector/batch_builder.h"
#include "collector/event_writer.h"
#include "collector/protocols/document_mapping.h"

namespace lp::collector {

/// The metadata HEC's raw endpoint reads from its query string (the event endpoint reads it
/// from each event).
struct HecMetadata {
  std::string host;
  std::string source;
  std::string sourcetype;
  std::string index;
};

/// Event errors HEC names by code; the first rejected event's code is the answer's.
inline constexpr std::string_view kHecEventRequired = "Event field is required";
inline constexpr std::string_view kHecEventBlank = "Event field cannot be blank";

/// Turns Splunk HTTP Event Collector requests into logpipe events (identity, gzip or zstd):
/// the event endpoint's JSON objects back to back (`{"time":..,"host":..,"source":..,
/// "sourcetype":..,"index":..,"event":..,"fields":{..}}`; an `event` object is mapped like an
/// Elasticsearch document by DocumentMapper, a string is the message) and the raw endpoint's
/// lines, one event each (docs/PROTOCOLS.md). Everything a client can send is answered by a
/// result, never a crash (a fuzz target).
///
/// Not thread-safe: one per thread.
class HecDecoder {
 public:
  explicit HecDecoder(DecodeOptions options = {});

  /// `/services/collector/event`. Fills `out` (cleared first); every event gets the reserved
  /// `tenant`. A failure is the request's as a whole: no data, or not JSON objects.
  [[nodiscard]] tl::expected<void, RequestFailure> DecodeEvents(std::string_view content_encoding,
                                                                const std::string& body,
                                                                DecodedBatch& out,
                                                                std::string_view tenant = {});
  /// `/services/collector/raw`: each non-empty line an event with `metadata`.
  [[nodiscard]] tl::expected<void, RequestFailure> DecodeRaw(std::string_view content_encoding,
                                                             const std::string& body,
                                                             const HecMetadata& metadata,
                                                             DecodedBatch& out,
                                                             std::string_view tenant = {});

 private:
  /// Clears `out`, sets the tenant and decodes the body (padded); "No data" when it is blank.
  tl::expected<std::string_view, RequestFailure> Begin(std::string_view content_encoding,
                                                       const std::string& body, DecodedBatch& out,
                                                       std::string_view tenant);
  void AddEvent(simdjson::dom::element event, size_t index, DecodedBatch& out);
  void AddMetadata(std::string_view source, std::string_view sourcetype, std::string_view index);

  DecodeOptions options_;
  BatchBuilder builder_;
  DocumentMapper mapper_;
  simdjson::dom::parser parser_;
  EventFields fields_;
  std::string event_text_;
  std::string field_text_;
  std::string event_json_;
  std::string decompressed_;
};

}  // namespace lp::collector
