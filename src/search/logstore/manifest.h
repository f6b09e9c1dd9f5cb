#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace lp::search::logstore {

inline constexpr uint32_t kManifestFormatVersion = 1;

/// What the store knows about one part without opening it: enough for retention, for the
/// upsert lookups to skip it, and to rebuild its events from the queue if its file is lost.
struct PartEntry {
  std::string name;  ///< File name inside the store's folder.
  uint64_t rows = 0;
  uint64_t bytes = 0;
  int64_t min_arrival_ms = 0;
  int64_t max_arrival_ms = 0;
  uint64_t max_seq = 0;
  /// Per source partition, the lowest queue offset of its documents: where to read again from.
  std::map<int32_t, int64_t> source_min_offsets;
  /// Per `<topic>-<partition>` prefix, the range of offsets of ids in that form it holds.
  std::map<std::string, std::pair<int64_t, int64_t>, std::less<>> id_ranges;
  bool other_ids = false;         ///< It holds ids not in the `<topic>-<partition>-<offset>` form.
  std::vector<uint32_t> deleted;  ///< Rows overwritten by a newer write of their id, sorted.
};

/// The store's one mutable file, `MANIFEST`: the parts that make up the store and the queue
/// positions durable with them, replaced atomically at every flush, merge and retention pass.
/// A part file not listed is a leftover of a crash and is deleted at open.
struct Manifest {
  uint64_t next_part = 1;
  uint64_t next_seq = 1;
  std::map<int32_t, int64_t> checkpoint;  ///< Partition -> next offset durable.
  std::vector<PartEntry> parts{};
};

[[nodiscard]] std::string EncodeManifest(const Manifest& manifest);
/// Errors are permanent and say what is wrong with the text (checksum, version, syntax).
[[nodiscard]] Result<Manifest> DecodeManifest(std::string_view text);

/// `<topic>-<partition>-<offset>`: the prefix `<topic>-<partition>` and the offset.
[[nodiscard]] bool ParseOffsetId(std::string_view id, std::string_view& prefix, int64_t& offset);

}  // namespace lp::search::logstore
