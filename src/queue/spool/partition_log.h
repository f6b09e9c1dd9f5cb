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

/// What opening a partition found wrong with its last segment, for the spool to log and count.
struct RecoveryReport {
  /// Records whose frame was intact but whose contents failed the checksum: kept in place as
  /// holes (readers skip them), so the records after them keep their offsets.
  int64_t damaged_records = 0;
  std::vector<uint64_t> damaged_positions{};  ///< File positions of the first few of them.
  /// Bytes cut from the end because the framing broke there (a torn write, or corruption).
  uint64_t cut_bytes = 0;
  uint64_t cut_position = 0;  ///< Where the cut was made.
  int64_t cut_records = 0;    ///< Records in those bytes, counted by their framing while intact.
  /// Offsets [skipped_from, skipped_to) are never used again: records at them may have been
  /// handed out before the cut, and ids and archive keys derive from offsets.
  int64_t skipped_from = 0;
  int64_t skipped_to = 0;
  std::filesystem::path segment{};
};

/// One partition of one topic: segment files `<base offset, 20 digits>.log` in a folder. Appends
/// are serialized by a mutex and land in the active segment with one write(2) each; segments
/// roll at a size. Opening recovers the last segment: a damaged record (intact frame, bad
/// checksum) is kept as a hole; where the framing breaks, the rest is cut off and the next
/// offset moves past every offset the cut bytes could have held, so no offset is ever reused
/// (a closed segment can only be torn by a power loss before its sync; readers skip such a
/// tail).
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

  /// Appends to several partitions all or nothing: the lock of each is held from Stage() to
  /// Publish() or RollBack(), and nothing staged is visible to readers before Publish().
  /// Take partitions in one order (the spool's: by index) so that two transactions never wait
  /// for each other.
  class Transaction {
   public:
    Transaction() = default;
    Transaction(Transaction&&) = default;
    Transaction& operator=(Transaction&&) = default;
    ~Transaction() { RollBack(); }

    /// Locks `log` and writes the frames to it; on failure nothing of them stays.
    [[nodiscard]] Result<void> Stage(PartitionLog& log, std::string_view frames, uint32_t count);
    /// Makes every staged append visible and releases the locks.
    void Publish();
    /// Removes every staged append (it never became visible) and releases the locks.
    void RollBack();

   private:
    struct Staged {
      PartitionLog* log;
      std::unique_lock<std::mutex> lock;
      uint64_t size_before;  ///< Of the active segment when it was staged.
      int64_t next_before;
      uint64_t bytes;
    };
    std::vector<Staged> staged_;
  };
  /// Makes everything appended so far durable (fdatasync). Returns whether there was anything.
  [[nodiscard]] Result<bool> Sync();

  [[nodiscard]] LogEnd VisibleEnd() const;
  [[nodiscard]] std::vector<SegmentInfo> Segments() const;
  [[nodiscard]] int64_t StartOffset() const;
  [[nodiscard]] uint64_t SizeBytes() const { return size_bytes_.load(); }

  /// Offsets [from, to) of a segment deleted by age before every group had read it.
  struct DeletedRange {
    int64_t from;
    int64_t to;
  };
  /// Deletes closed segments from the oldest on, while each lies wholly below `below_offset` or
  /// was last written before `written_before`. Returns the bytes freed; segments deleted by age
  /// though not wholly below `below_offset` are added to `unconsumed` when given.
  uint64_t DeleteClosedSegments(int64_t below_offset,
                                std::filesystem::file_time_type written_before,
                                std::vector<DeletedRange>* unconsumed = nullptr);

  [[nodiscard]] const std::filesystem::path& directory() const { return directory_; }
  [[nodiscard]] const RecoveryReport& recovery() const { return recovery_; }

  /// Moves the next offset to `offset` when it is ahead (a new segment starts there), so that
  /// offsets a consumer group already committed past are never handed out again. Returns
  /// whether it moved.
  [[nodiscard]] Result<bool> SkipTo(int64_t offset);

 private:
  PartitionLog(std::filesystem::path directory, Options options)
      : directory_(std::move(directory)), options_(options) {}

  [[nodiscard]] Result<void> Recover();
  [[nodiscard]] Result<void> OpenActiveSegment(int64_t base_offset);
  [[nodiscard]] Result<void> Roll();
  /// Writes frames at the end of the active segment without publishing them; mutex_ held.
  [[nodiscard]] Result<void> WriteLocked(std::string_view frames, uint32_t count);
  void PublishLocked();
  /// Starts a new active segment at `offset` (> next offset) and makes its name durable.
  [[nodiscard]] Result<void> MoveEndTo(int64_t offset);

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
  RecoveryReport recovery_;
};

[[nodiscard]] std::filesystem::path SegmentPath(const std::filesystem::path& directory,
                                                int64_t base_offset);

}  // namespace lp::queue::spool
