#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lp::search::logstore {

/// Which top-level members of a document the store keeps in columns instead of in the stored
/// JSON (a bit each): the document is rebuilt from the columns when a hit is read.
enum ColumnMember : uint8_t {
  kTimestampMember = 1,
  kServiceMember = 2,
  kLevelMember = 4,
  kMessageMember = 8,
  kHostMember = 16,
  kTenantMember = 32,
};

/// A document as the store keeps it: the JSON without the members the columns hold.
struct StoredDocument {
  std::string json;     ///< The remaining members, in their order, as an object.
  std::string host;     ///< The `host` string ("" when the event has none).
  std::string tenant;   ///< The `tenant` string ("" when the event has none).
  uint8_t members = 0;  ///< ColumnMember bits: what was taken out.
};

/// The columns hold the timestamp, service, level and message of every document already, and
/// they were half of what the JSON cost on disk. A member is taken out only when the column
/// gives it back exactly: `timestamp` equal to the RFC 3339 form of `timestamp_ms`, `service`,
/// `level` and `message` strings equal to the document's fields, `host` and `tenant` when they
/// are strings;
/// anything else (a non-string, a second member of the same name) stays in the JSON.
[[nodiscard]] StoredDocument StoreDocument(std::string_view json, int64_t timestamp_ms,
                                           std::string_view service, std::string_view level,
                                           std::string_view message);

/// The values the columns give back to a document.
struct ColumnValues {
  int64_t timestamp_ms = 0;
  std::string_view tenant{};
  std::string_view service{};
  std::string_view level{};
  std::string_view message{};
  std::string_view host{};
};

/// The document as it was written, the members taken out first (timestamp, tenant, service,
/// level, message, host: the order the processor writes them in), then the rest in their order.
[[nodiscard]] std::string RebuildDocument(std::string_view stored_json, uint8_t members,
                                          const ColumnValues& columns);

}  // namespace lp::search::logstore
