#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "search/logstore/log_store.h"

// The in-memory shapes the log store's write path (log_store.cc) and read path
// (log_store_query.cc) share.
namespace lp::search::logstore {

/// A batch of written documents in memory, immutable once published; the fields are views
/// into `arena`.
struct LogStore::Chunk {
  struct Row {
    int64_t ts;
    uint64_t seq;
    uint8_t level;
    uint8_t members;  // ColumnMember bits: what the stored JSON leaves to the columns.
    int32_t source_partition;
    int64_t source_offset;
    uint32_t id_at, id_size, service_at, service_size, host_at, host_size, message_at, message_size,
        json_at, json_size, tenant_at, tenant_size;
  };
  std::string arena;
  std::vector<Row> rows;
  int64_t arrival_ms = 0;
  int64_t min_ts = INT64_MAX;
  int64_t max_ts = INT64_MIN;
  /// Offsets of the `<topic>-<partition>-<offset>` ids it holds, per `<topic>-<partition>`:
  /// lookups of such ids scan only chunks whose range holds the offset.
  std::map<std::string, std::pair<int64_t, int64_t>, std::less<>> id_ranges;
  bool other_ids = false;  ///< Holds ids of another form (those are in the store's hash map).

  std::string_view View(uint32_t at, uint32_t size) const { return {arena.data() + at, size}; }
  std::string_view Id(const Row& row) const { return View(row.id_at, row.id_size); }
  std::string_view Service(const Row& row) const { return View(row.service_at, row.service_size); }
  std::string_view Host(const Row& row) const { return View(row.host_at, row.host_size); }
  std::string_view Tenant(const Row& row) const { return View(row.tenant_at, row.tenant_size); }
  std::string_view Message(const Row& row) const { return View(row.message_at, row.message_size); }
  /// The document as stored (document_shape.h), not as written.
  std::string_view Json(const Row& row) const { return View(row.json_at, row.json_size); }
};

/// What a query sees: the parts and buffered chunks at one moment, with their deletions.
struct LogStore::State {
  struct PartView {
    std::shared_ptr<const Part> part;
    std::shared_ptr<const std::vector<uint32_t>> deleted;
  };
  struct ChunkView {
    std::shared_ptr<const Chunk> chunk;
    std::shared_ptr<const std::vector<uint32_t>> deleted;
  };
  std::vector<PartView> parts;
  std::vector<ChunkView> chunks;
};

/// Splits a `<topic>-<partition>-<offset>` id (a prefix without spaces); false for any other.
[[nodiscard]] bool OffsetFormId(std::string_view id, std::string_view& prefix, int64_t& offset);

/// Whether sorted `rows` holds `row`.
[[nodiscard]] bool Contains(const std::vector<uint32_t>& sorted, uint32_t row);
/// Whether sorted `rows` holds any of [first, first + count).
[[nodiscard]] bool AnyIn(const std::vector<uint32_t>& sorted, uint32_t first, uint32_t count);

}  // namespace lp::search::logstore
