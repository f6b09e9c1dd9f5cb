#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "core/file_util.h"
#include "core/result.h"

namespace lp::queue::spool {

struct SegmentInfo {
  int64_t base_offset = 0;
  std::filesystem::path path;
};

/// The end of what readers may see: the next offset to be written and where it would go.
struct LogEnd {
  int64_t next_offset = 0;
  int64_t segment_base = 0;
  uint64_t segment_size = 0;
};

/// One partition of one topic: segment files `<base offset, 20 digits>.log` in a folder. Appends
/// are serialized by a mutex and land in the active segment with one write(2) each; segments
/// roll at a size. Opening recovers: a torn or corrupt tail of the last segment is truncated (a
/// closed segment can only be torn by a power loss before its sync; readers skip such a tail).
///
/// Thread-safe. Readers (PartitionReader) read the files directly, up to VisibleEnd().
class PartitionLog {
 public:
  struct Options {
    uint64_t segment_bytes = 64 * 1024 * 1024;
    /// When set, appended records become visible to readers only once Sync() made them durable.
    bool expose_after_sync = false;
    /// When unset nobody calls Sync(), so rolled segments are not kept open for it.
    bool syncs = true;
  };

  [[nodiscard]] static Result<std::unique_ptr<PartitionLog>> Open(std::filesystem::path directory,
                                                                  Options options);

  /// Appends `count` framed records (see record_format.h) as one write. Returns the first
  /// record's offset. On failure nothing is appended.
  [[nodiscard]] Result<int64_t> Append(std::string_view frames, uint32_t count);
  /// Makes everything appended so far durable (fdatasync). Returns whether there was anything.
  [[nodiscard]] Result<bool> Sync();

  [[nodiscard]] LogEnd VisibleEnd() const;
  [[nodiscard]] std::vector<SegmentInfo> Segments() const;
  [[nodiscard]] int64_t StartOffset() const;
  [[nodiscard]] uint64_t SizeBytes() const { return size_bytes_.load(); }

  /// Deletes closed segments from the oldest on, while each lies wholly below `below_offset` or
  /// was last written before `written_before`. Returns the bytes freed.
  uint64_t DeleteClosedSegments(int64_t below_offset,
                                std::filesystem::file_time_type written_before);

  [[nodiscard]] const std::filesystem::path& directory() const { return directory_; }

 private:
  PartitionLog(std::filesystem::path directory, Options options)
      : directory_(std::move(directory)), options_(options) {}

  [[nodiscard]] Result<void> Recover();
  [[nodiscard]] Result<void> OpenActiveSegment(int64_t base_offset);
  [[nodiscard]] Result<void> Roll();

  const std::filesystem::path directory_;
  const Options options_;

  mutable std::mutex mutex_;
  struct Segment {
    int64_t base_offset;
    uint64_t size;
  };
  std::vector<Segment> segments_;  // Oldest first; the last is the active one.
  std::shared_ptr<UniqueFd> active_fd_;
  std::vector<std::shared_ptr<UniqueFd>> closed_unsynced_;  // Rolled since the last Sync().
  bool directory_dirty_ = false;                            // A segment was created since.
  int64_t next_offset_ = 0;
  LogEnd written_end_;
  LogEnd synced_end_;
  std::atomic<uint64_t> size_bytes_{0};
};

[[nodiscard]] std::filesystem::path SegmentPath(const std::filesystem::path& directory,
                                                int64_t base_offset);

}  // namespace lp::queue::spool
