#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/metrics.h"
#include "queue/queue.h"
#include "queue/spool/partition_log.h"

namespace lp::queue::spool {

/// Reads one partition sequentially from a given offset, straight from the segment files, never
/// past the log's visible end. Survives segments being deleted under it (open files stay
/// readable); an offset below the oldest segment resumes at the oldest record still held.
///
/// Not thread-safe: owned by one consumer.
class PartitionReader {
 public:
  /// `corrupt_tails` (optional) counts segment tails skipped because a record in them failed
  /// its checksum (only a power loss in SPOOL_FSYNC=interval|never mode leaves such a tail).
  /// `damaged_records` (optional) counts records skipped because their frame was intact but
  /// their contents failed the checksum; the records after them are read as usual.
  PartitionReader(const PartitionLog& log, std::string topic, int32_t partition,
                  int64_t start_offset, metrics::Counter* corrupt_tails = nullptr,
                  metrics::Counter* damaged_records = nullptr);

  /// Appends up to `max_records` records available now to `out`.
  [[nodiscard]] Result<void> Read(size_t max_records, std::vector<ConsumedRecord>& out);
  void Seek(int64_t offset);

  [[nodiscard]] int64_t next_offset() const { return next_offset_; }

 private:
  [[nodiscard]] Result<bool> OpenSegmentFor(int64_t offset);
  void CloseSegment();

  const PartitionLog& log_;
  std::string topic_;
  int32_t partition_;
  int64_t next_offset_;

  UniqueFd fd_;
  int64_t segment_base_ = 0;
  int64_t segment_offset_ = 0;  // Offset of the record at buffer_[position_].
  int64_t skip_until_ = 0;      // Records below this were read only to find a position.
  uint64_t file_position_ = 0;  // File position just past buffer_'s end.
  std::string buffer_;
  size_t position_ = 0;
  metrics::Counter* corrupt_tails_;
  metrics::Counter* damaged_records_;
};

}  // namespace lp::queue::spool
