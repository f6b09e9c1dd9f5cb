#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
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
/// insignificant whitespace, with the reserved `tenant` set), with their keys (the service);
/// rejected ones by position.
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

/// Validates events one at a time (DESIGN §4) and files each in a DecodedBatch as accepted or
/// rejected: the one way every decoder (POST /logs and each shipper protocol) turns what it
/// read into what goes to the queue.
///
/// Not thread-safe: it owns a validator and scratch space, so use one per decoder.
class BatchBuilder {
 public:
  explicit BatchBuilder(const DecodeOptions& options);

  /// The tenant of the request being decoded (the sender's token's; empty with authentication
  /// off): every event added gets the reserved `tenant` field set to it, and a `tenant` the
  /// sender wrote is removed (core/event_tenant.h). `tenant` must outlive the request's Adds.
  void SetTenant(std::string_view tenant) { tenant_ = tenant; }

  /// Validates one event's JSON and files it under accepted or rejected. `raw` must be followed
  /// by simdjson::SIMDJSON_PADDING readable bytes. A pretty-printed event is made compact;
  /// `byte_offset` (where it starts in the request) is named in a parse error.
  void Add(std::string_view raw, size_t index, size_t byte_offset, DecodedBatch& out);
  /// For an event a protocol decoder wrote itself (compact already): gives `json` the padding
  /// the validator needs, then adds it.
  void AddWritten(std::string& json, size_t index, DecodedBatch& out);
  /// Files the event at `index` as rejected with `message`, listed while under the limit.
  void Reject(size_t index, std::string message, DecodedBatch& out) const;

 private:
  const DecodeOptions options_;
  EventValidator validator_;
  std::string scratch_;
  std::string_view tenant_;
  std::vector<std::string_view> members_;
};

}  // namespace lp::collector
