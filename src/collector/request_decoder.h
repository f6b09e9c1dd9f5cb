#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "core/event_validator.h"

namespace lp::collector {

struct DecodeOptions {
  size_t max_body_bytes = 10 * 1024 * 1024;  ///< Also the limit after decompression.
  EventLimits event_limits{};
  size_t max_listed_errors = 1000;  ///< Past this, rejected events are counted, not listed.
};

struct AcceptedEvent {
  size_t index = 0;  ///< Position of the event in the request.
  uint32_t json_offset = 0;
  uint32_t json_length = 0;
  uint32_t key_offset = 0;
  uint32_t key_length = 0;
};

struct EventError {
  size_t index = 0;
  std::string message;
};

/// The events of one request: accepted ones as compact JSON back to back (as received, minus
/// insignificant whitespace), with their keys (the service); rejected ones by position.
struct DecodedBatch {
  std::string json;
  std::string keys;
  std::vector<AcceptedEvent> events;
  std::vector<EventError> errors;  ///< The first DecodeOptions::max_listed_errors rejections.
  size_t rejected = 0;

  [[nodiscard]] std::string_view Json(const AcceptedEvent& event) const {
    return std::string_view(json).substr(event.json_offset, event.json_length);
  }
  [[nodiscard]] std::string_view Key(const AcceptedEvent& event) const {
    return std::string_view(keys).substr(event.key_offset, event.key_length);
  }
  void Clear();
};

/// A failure of the request as a whole, with the HTTP status that answers it.
struct RequestFailure {
  unsigned status = 400;
  std::string message;
};

/// Turns a POST /logs body (JSON object, JSON array of objects, or NDJSON; identity, gzip or
/// zstd) into validated events. Everything a client can send is answered by a result, never a
/// crash: this is the target of the request decoder fuzzer.
///
/// Not thread-safe: it owns parsers and buffers that it reuses, so use one per thread.
class RequestDecoder {
 public:
  explicit RequestDecoder(DecodeOptions options = {});

  /// `body` must have simdjson::SIMDJSON_PADDING bytes of spare capacity (the HTTP server
  /// provides them); it is not modified. Fills `out` (cleared first). Each accepted event gets
  /// the reserved `tenant` field set to `tenant` (the sender's token's); a `tenant` the sender
  /// wrote is removed, also when `tenant` is empty (authentication off).
  [[nodiscard]] tl::expected<void, RequestFailure> Decode(std::string_view content_type,
                                                          std::string_view content_encoding,
                                                          const std::string& body,
                                                          DecodedBatch& out,
                                                          std::string_view tenant = {});

 private:
  enum class Shape { kSingle, kArray, kLines };

  /// `body_offset`: where `body` starts in the request body, for the offsets errors name.
  tl::expected<void, RequestFailure> DecodeArray(std::string_view body, size_t capacity,
                                                 size_t body_offset, DecodedBatch& out);
  void DecodeLines(std::string_view body, DecodedBatch& out);
  /// Validates one event's raw JSON and files it under accepted or rejected. `raw` must be
  /// followed by simdjson::SIMDJSON_PADDING readable bytes (it lies inside a padded body).
  void AddEvent(std::string_view raw, size_t index, size_t byte_offset, DecodedBatch& out);
  void Reject(size_t index, std::string message, DecodedBatch& out) const;

  DecodeOptions options_;
  EventValidator validator_;
  simdjson::ondemand::parser array_parser_;
  std::string decompressed_;
  std::string scratch_;
  std::string_view tenant_;  ///< Of the request being decoded.
  std::vector<std::string_view> members_;
};

}  // namespace lp::collector
