#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/event_validator.h"
#include "core/timestamp.h"
#include "processor/geoip.h"
#include "search/search_store.h"

namespace lp::processor {

/// Turns a validated event into its search document (DESIGN §4): `timestamp` in UTC with
/// milliseconds (the record's time when the event had none), `level` upper case, `ingested_at`
/// added, `geo` from the GeoIP lookup of `payload.ip_address` when there is one (replacing any
/// `geo` the event brought), every other field kept as it came.
class Normalizer {
 public:
  /// `id` is `<topic>-<partition>-<offset>`.
  [[nodiscard]] search::SearchDocument Normalize(const ValidatedEvent& event, std::string id,
                                                 EpochMillis record_timestamp_ms,
                                                 EpochMillis ingested_at_ms,
                                                 const GeoLocation* geo = nullptr) const;
  /// `payload.ip_address` when it is a string.
  [[nodiscard]] static std::optional<std::string_view> IpAddressOf(const ValidatedEvent& event);
};

}  // namespace lp::processor
