#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/timestamp.h"

namespace lp::collector {

/// Members of a JSON object being written (`"key":value,...`, without the braces): the
/// `labels` and `payload` of an event a protocol decoder builds.
class JsonMembers {
 public:
  void AddString(std::string_view key, std::string_view value);
  /// `json` must be one valid JSON value, written as is.
  void AddRaw(std::string_view key, std::string_view json);
  void Clear() { text_.clear(); }
  [[nodiscard]] bool empty() const { return text_.empty(); }
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  void AddKey(std::string_view key);
  std::string text_;
};

/// The fields of one logpipe event (DESIGN §4) that a protocol decoder filled from what it
/// read. Strings are plain text (not JSON-escaped); empty ones are left out. The views must stay
/// valid until Write.
struct EventFields {
  std::string_view id;         ///< The document id (`_id`): a shipper's retry overwrites.
  std::string_view timestamp;  ///< As sent; the validator checks it is RFC 3339.
  std::optional<EpochMillis> timestamp_ms;  ///< When the protocol gives a number instead.
  std::string_view service;                 ///< Empty: "unknown".
  std::string_view level;    ///< Any name LevelFromName knows; empty or unknown: INFO.
  std::string_view message;  ///< Always written, empty when the protocol has none.
  std::string_view host;
  std::string_view trace_id;
  std::string_view span_id;
  std::string_view request_id;
  JsonMembers labels;  ///< String values only (the validator requires it).
  JsonMembers payload;

  void Clear();
};

/// The normalized level (DESIGN §4) for a severity name as the shippers spell it: logpipe's own
/// names and aliases, syslog's keywords (emerg, alert, crit, err, warning, notice, info, debug)
/// and common spellings (information, informational, panic, dbg, trc, wrn, eror, fatal). Any
/// case. Unknown or empty: INFO.
[[nodiscard]] std::string_view LevelFromName(std::string_view name);

/// Writes `fields` as one compact event, its fields in a fixed order, replacing `out`.
void WriteEvent(const EventFields& fields, std::string& out);

}  // namespace lp::collector
