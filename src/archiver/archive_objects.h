#pragma once

#include <simdjson.h>

#include <span>
#include <string>
#include <vector>

#include "objectstore/object_store.h"
#include "queue/queue.h"

namespace lp::archiver {

/// One archive object before compression: the raw events of one partition's batch that share a
/// UTC date, in offset order.
struct ArchiveObject {
  std::string key;  ///< `YYYY/MM/DD/<topic>-<partition>-<first offset, 20 digits>` + suffix.
  std::string ndjson;
  objectstore::Metadata metadata;
};

/// Splits a partition's batch by each event's own `timestamp` date in UTC (the record's time
/// when the event has none); copies of events the pipeline carried before
/// (queue::kOriginalIdHeader) are left out. The same records always give the same objects, keys and
/// bytes, which is what makes re-uploading a batch after a crash harmless. Not thread-safe: it owns
/// a parser.
class ArchiveObjectBuilder {
 public:
  [[nodiscard]] std::vector<ArchiveObject> Build(std::span<const queue::ConsumedRecord> records,
                                                 std::string_view key_suffix);

 private:
  [[nodiscard]] int64_t EventTimeMs(const queue::ConsumedRecord& record);

  simdjson::dom::parser parser_;
};

}  // namespace lp::archiver
