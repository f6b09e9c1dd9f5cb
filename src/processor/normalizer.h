#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_validator.h"
#include "core/timestamp.h"
#include "processor/geoip.h"
#include "search/search_store.h"

namespace lp::processor {

/// Turns a validated event into its search document (DESIGN §4): `timestamp` in UTC with
/// milliseconds (the record's time when the event had none), `level` upper case, `ingested_at`
/// added, `geo` from the GeoIP lookup of `payload.ip_address` when there is one (replacing any
/// `geo` the event brought), every other field kept as it came. An event's own document id, a
/// non-empty string `_id` (the Elasticsearch bulk decoder's), replaces the id it is given, so
/// that the same event sent or replayed again overwrites its document; `_id` is never stored
/// in the document (Elasticsearch refuses it in a source). Not thread-safe: one per worker.
class Normalizer {
 public:
  /// `json` is the event's text, which `event` was validated from; its members are copied as
  /// they are, not serialized again. `id` is `<topic>-<partition>-<offset>` (or a replayed
  /// event's), used unless the event has its own `_id`.
  [[nodiscard]] search::SearchDocument Normalize(const ValidatedEvent& event, std::string_view json,
                                                 std::string id, EpochMillis record_timestamp_ms,
                                                 EpochMillis ingested_at_ms,
                                                 const GeoLocation* geo = nullptr);
  /// `payload.ip_address` when it is a string.
  [[nodiscard]] static std::optional<std::string_view> IpAddressOf(const ValidatedEvent& event);

 private:
  std::vector<std::string_view> members_;
  // A batch shares one ingestion time: format it once.
  EpochMillis formatted_ingested_at_ms_ = -1;
  std::string formatted_ingested_at_;
};

}  // namespace lp::processor
