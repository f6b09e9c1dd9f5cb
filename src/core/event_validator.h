#pragma once

#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/level.h"
#include "core/result.h"
#include "core/timestamp.h"

namespace lp {

struct EventLimits {
  size_t max_event_bytes = 256 * 1024;
  size_t max_depth = 64;
};

/// What validation learned about an event; views point into the validator's parser and stay
/// valid until its next Validate call.
struct ValidatedEvent {
  std::string_view service;
  Level level = Level::kInfo;
  std::optional<EpochMillis> timestamp;
  simdjson::dom::element root;
};

/// Checks one event against DESIGN §4 (required fields, types, level names, RFC 3339 times,
/// size and nesting limits). Fully parses the JSON so that nothing invalid reaches the queue.
/// Every RFC 8259 number is valid, however large (`1e999`, a 30-digit integer): the event keeps
/// its text as sent, though the parsed view (`root`) sees such a number as 0.
///
/// Not thread-safe: it owns a simdjson parser, so use one per thread.
class EventValidator {
 public:
  explicit EventValidator(EventLimits limits = {});

  /// `json` must be followed by at least simdjson::SIMDJSON_PADDING readable bytes.
  /// The error's message names the offending field and is meant for the client.
  [[nodiscard]] Result<ValidatedEvent> ValidatePadded(std::string_view json);

  /// Copies `json` into padded scratch space first; for callers without padding.
  [[nodiscard]] Result<ValidatedEvent> Validate(std::string_view json);

  [[nodiscard]] const EventLimits& limits() const { return limits_; }

 private:
  EventLimits limits_;
  simdjson::dom::parser parser_;
  std::string scratch_;
  std::string tamed_;  ///< A copy with out-of-range numbers replaced, to parse the rest.
};

}  // namespace lp
