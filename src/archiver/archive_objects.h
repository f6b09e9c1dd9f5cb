#pragma once

#include <simdjson.h>

#include <span>
#include <string>
#include <vector>

#include "objectstore/object_store.h"
#include "queue/queue.h"

namespace lp::archiver {

/// One archive object before compression: the raw events of one partition's batch that share a
/// tenant and a UTC date, in offset order.
struct ArchiveObject {
  /// `[tenant=<tenant>/]YYYY/MM/DD/<topic>-<partition>-<first offset, 20 digits>` + suffix; the
  /// default tenant's (and events without one) have no tenant folder.
  std::string key;
  std::string ndjson;
  objectstore::Metadata metadata;
};

/// Splits a partition's batch by each event's `tenant` and its own `timestamp` date in UTC (the
/// record's time when the event has none); copies of events the pipeline carried before
/// (queue::kOriginalIdHeader) are left out. The same records always give the same objects, keys and
/// bytes, which is what makes re-uploading a batch after a crash harmless. Not thread-safe: it owns
/// a parser.
class ArchiveObjectBuilder {
 public:
  [[nodiscard]] std::vector<ArchiveObject> Build(std::span<const queue::ConsumedRecord> records,
                                                 std::string_view key_suffix);

 private:
  /// `[tenant=<tenant>/]YYYY/MM/DD/` of the record's event.
  [[nodiscard]] std::string Folder(const queue::ConsumedRecord& record);

  simdjson::dom::parser parser_;
};

}  // namespace lp::archiver
