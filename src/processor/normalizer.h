#pragma once

#include <string>

#include "core/event_validator.h"
#include "core/timestamp.h"
#include "search/search_store.h"

namespace lp::processor {

/// Turns a validated event into its search document (DESIGN §4): `timestamp` in UTC with
/// milliseconds (the record's time when the event had none), `level` upper case, `ingested_at`
/// added, every other field kept as it came.
class Normalizer {
 public:
  /// `id` is `<topic>-<partition>-<offset>`.
  [[nodiscard]] search::SearchDocument Normalize(const ValidatedEvent& event, std::string id,
                                                 EpochMillis record_timestamp_ms,
                                                 EpochMillis ingested_at_ms) const;
};

}  // namespace lp::processor
