#include "queue/spool/partition_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>

#include "queue/spool/record_format.h"

namespace lp::queue::spool {
namespace {

constexpr size_t kRecoveryReadBytes = 1024 * 1024;

std::optional<int64_t> ParseSegmentName(const std::filesystem::path& path) {
  if (path.extension() != ".log") return std::nullopt;
  const std::string stem = path.stem().string();
  int64_t base = 0;
  const auto [end, error] = std::from_chars(stem.data(), stem.data() + stem.size(), base);
  if (error != std::errc{} || end != stem.data() + stem.size() || base < 0) return std::nullopt;
  return base;
}

constexpr size_t kDamagedPositionsKept = 8;

struct SegmentScan {
  int64_t records = 0;        ///< Intact and damaged records, i.e. offsets the intact part holds.
  uint64_t intact_bytes = 0;  ///< Where the intact framing ends.
  int64_t damaged_records = 0;
  std::vector<uint64_t> damaged_positions;
};

// Walks a segment file's framing from the start: records and damaged records count; the first
// broken frame (or a torn end) ends the intact part.
Result<SegmentScan> ScanSegment(int fd) {
  SegmentScan scan;
  std::string buffer;
  uint64_t file_offset = 0;  // File position of buffer[0].
  size_t position = 0;
  std::vector<char> chunk(kRecoveryReadBytes);
  bool at_eof = false;
  while (true) {
    const auto record = DecodeRecord(std::string_view(buffer).substr(position));
    if (record.status == DecodeStatus::kRecord || record.status == DecodeStatus::kDamaged) {
      if (record.status == DecodeStatus::kDamaged) {
        ++scan.damaged_records;
        if (scan.damaged_positions.size() < kDamagedPositionsKept) {
          scan.damaged_positions.push_back(file_offset + position);
        }
      }
      ++scan.records;
      position += record.frame_bytes;
      continue;
    }
    if (record.status == DecodeStatus::kCorrupt || at_eof) break;
    buffer.erase(0, position);
    file_offset += position;
    position = 0;
    const auto got = ReadAt(fd, chunk.data(), chunk.size(), file_offset + buffer.size());
    if (!got) return tl::unexpected(got.error());
    if (*got == 0) at_eof = true;
    buffer.append(chunk.data(), *got);
  }
  scan.intact_bytes = file_offset + position;
  return scan;
}

// How many records the bytes after a broken frame held: the broken one, plus every record found
// by looking for the next frame that passes its checksum and following the framing from there.
Result<int64_t> CountRecordsInCutTail(int fd, uint64_t from, uint64_t size) {
  std::string tail(static_cast<size_t>(size - from), '\0');
  const auto got = ReadAt(fd, tail.data(), tail.size(), from);
  if (!got) return tl::unexpected(got.error());
  tail.resize(*got);
  int64_t records = 1;
  size_t position = 1;
  while (position + kMinFrameBytes <= tail.size()) {
    const auto record = DecodeRecord(std::string_view(tail).substr(position));
    if (record.status == DecodeStatus::kRecord) {
      ++records;
      position += record.frame_bytes;
    } else {
      ++position;
    }
  }
  return records;
}

}  // namespace

std::filesystem::path SegmentPath(const std::filesystem::path& directory, int64_t base_offset) {
  char name[32];
  std::snprintf(name, sizeof name, "%020lld.log", static_cast<long long>(base_offset));
  return directory / name;
}

Result<std::unique_ptr<PartitionLog>> PartitionLog::Open(std::filesystem::path directory,
                                                         Options options) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return Permanent("cannot create " + directory.string() + ": " + error.message());
  std::unique_ptr<PartitionLog> log(new PartitionLog(std::move(directory), options));
  if (auto recovered = log->Recover(); !recovered) return tl::unexpected(recovered.error());
  return log;
}

Result<void> PartitionLog::Recover() {
  std::vector<int64_t> bases;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, error)) {
    if (auto base = ParseSegmentName(entry.path())) bases.push_back(*base);
  }
  if (error) return Permanent("cannot list " + directory_.string() + ": " + error.message());
  std::sort(bases.begin(), bases.end());
  if (bases.empty()) return OpenActiveSegment(0);

  uint64_t total = 0;
  for (size_t i = 0; i + 1 < bases.size(); ++i) {
    const auto size = std::filesystem::file_size(SegmentPath(directory_, bases[i]), error);
    if (error) return Permanent("cannot stat segment: " + error.message());
    segments_.push_back(Segment{bases[i], size});
    total += size;
  }
  const int64_t last_base = bases.back();
  const auto last_path = SegmentPath(directory_, last_base);
  auto fd = OpenFile(last_path, O_RDWR | O_APPEND);
  if (!fd) return tl::unexpected(fd.error());
  auto scanned = ScanSegment(fd->get());
  if (!scanned) return tl::unexpected(scanned.error());
  const auto size = std::filesystem::file_size(last_path, error);
  if (error) return Permanent("cannot stat segment: " + error.message());
  const uint64_t intact_bytes = scanned->intact_bytes;
  recovery_.segment = last_path;
  recovery_.damaged_records = scanned->damaged_records;
  recovery_.damaged_positions = scanned->damaged_positions;
  if (size != intact_bytes) {
    auto counted = CountRecordsInCutTail(fd->get(), intact_bytes, size);
    if (!counted) return tl::unexpected(counted.error());
    recovery_.cut_records = *counted;
    // A torn write from a crash, or corruption: what follows the last intact frame cannot be
    // read, so it is cut off.
    if (::ftruncate(fd->get(), static_cast<off_t>(intact_bytes)) != 0) {
      return SystemError("truncate " + last_path.string(), errno);
    }
    if (::fsync(fd->get()) != 0) return SystemError("fsync " + last_path.string(), errno);
    recovery_.cut_bytes = size - intact_bytes;
    recovery_.cut_position = intact_bytes;
  }
  segments_.push_back(Segment{last_base, intact_bytes});
  total += intact_bytes;
  active_fd_ = std::make_shared<UniqueFd>(std::move(*fd));
  next_offset_ = last_base + scanned->records;
  written_end_ = LogEnd{next_offset_, last_base, intact_bytes};
  synced_end_ = written_end_;
  size_bytes_.store(total);
  if (recovery_.cut_bytes > 0) {
    // The cut bytes held at most this many records, each of which may have been read (and
    // indexed or archived under its offset) before the crash.
    const auto most_records =
        static_cast<int64_t>((recovery_.cut_bytes + kMinFrameBytes - 1) / kMinFrameBytes);
    recovery_.skipped_from = next_offset_;
    recovery_.skipped_to = next_offset_ + most_records;
    if (auto moved = MoveEndTo(recovery_.skipped_to); !moved) return tl::unexpected(moved.error());
  }
  return {};
}

Result<void> PartitionLog::MoveEndTo(int64_t offset) {
  if (options_.syncs) closed_unsynced_.push_back(std::move(active_fd_));
  if (auto opened = OpenActiveSegment(offset); !opened) return opened;
  // Make the new segment's name durable now, so a crash cannot bring the old end back.
  if (auto synced = SyncDirectory(directory_); !synced) return synced;
  directory_dirty_ = false;
  synced_end_ = written_end_;
  return {};
}

Result<bool> PartitionLog::SkipTo(int64_t offset) {
  std::lock_guard lock(mutex_);
  if (offset <= next_offset_) return false;
  if (auto moved = MoveEndTo(offset); !moved) return tl::unexpected(moved.error());
  return true;
}

Result<void> PartitionLog::OpenActiveSegment(int64_t base_offset) {
  const auto path = SegmentPath(directory_, base_offset);
  auto fd = OpenFile(path, O_RDWR | O_APPEND | O_CREAT);
  if (!fd) return tl::unexpected(fd.error());
  const bool first_segment = segments_.empty();
  active_fd_ = std::make_shared<UniqueFd>(std::move(*fd));
  segments_.push_back(Segment{base_offset, 0});
  next_offset_ = base_offset;
  written_end_ = LogEnd{base_offset, base_offset, 0};
  // The new file's name becomes durable with the next Sync().
  directory_dirty_ = true;
  if (first_segment) synced_end_ = written_end_;
  return {};
}

Result<void> PartitionLog::Roll() {
  // No fsync here: under the lock it would stall every append to this partition for as long as
  // the disk takes. The closed segment is synced by the next Sync(), before anything after it
  // counts as durable.
  if (options_.syncs) closed_unsynced_.push_back(std::move(active_fd_));
  return OpenActiveSegment(next_offset_);
}

Result<void> PartitionLog::WriteLocked(std::string_view frames, uint32_t count) {
  if (segments_.back().size >= options_.segment_bytes) {
    if (auto rolled = Roll(); !rolled) return tl::unexpected(rolled.error());
  }
  const int fd = active_fd_->get();
  const uint64_t before = segments_.back().size;
  if (auto written = WriteAll(fd, frames); !written) {
    // Leave no partial record behind, so the next append starts on a record boundary.
    if (::ftruncate(fd, static_cast<off_t>(before)) != 0) {
      return SystemError("truncate after failed write", errno);
    }
    return tl::unexpected(written.error());
  }
  segments_.back().size += frames.size();
  size_bytes_.fetch_add(frames.size());
  next_offset_ += count;
  return {};
}

void PartitionLog::PublishLocked() {
  written_end_ = LogEnd{next_offset_, segments_.back().base_offset, segments_.back().size};
}

Result<int64_t> PartitionLog::Append(std::string_view frames, uint32_t count) {
  std::lock_guard lock(mutex_);
  const int64_t first = next_offset_;
  if (auto written = WriteLocked(frames, count); !written) return tl::unexpected(written.error());
  PublishLocked();
  return first;
}

Result<void> PartitionLog::Transaction::Stage(PartitionLog& log, std::string_view frames,
                                              uint32_t count) {
  std::unique_lock lock(log.mutex_);
  const int64_t next_before = log.next_offset_;
  if (auto written = log.WriteLocked(frames, count); !written) {
    return tl::unexpected(written.error());
  }
  // A roll before the write leaves the staged bytes alone in a new, otherwise empty segment.
  const uint64_t size_before = log.segments_.back().size - frames.size();
  staged_.push_back(Staged{&log, std::move(lock), size_before, next_before, frames.size()});
  return {};
}

void PartitionLog::Transaction::Publish() {
  for (auto& staged : staged_) staged.log->PublishLocked();
  staged_.clear();
}

void PartitionLog::Transaction::RollBack() {
  for (auto it = staged_.rbegin(); it != staged_.rend(); ++it) {
    PartitionLog& log = *it->log;
    // Nothing staged was published, so no reader has seen these bytes.
    if (::ftruncate(log.active_fd_->get(), static_cast<off_t>(it->size_before)) != 0) {
      // The bytes stay on disk but past the published end; the next append writes after them
      // and recovery at start would count them, so keep the offsets they take.
      log.PublishLocked();
      continue;
    }
    log.segments_.back().size = it->size_before;
    log.size_bytes_.fetch_sub(it->bytes);
    log.next_offset_ = it->next_before;
  }
  staged_.clear();
}

Result<bool> PartitionLog::Sync() {
  std::vector<std::shared_ptr<UniqueFd>> files;
  bool sync_directory = false;
  LogEnd target;
  {
    std::lock_guard lock(mutex_);
    if (written_end_.next_offset == synced_end_.next_offset && closed_unsynced_.empty() &&
        !directory_dirty_) {
      return false;
    }
    files.swap(closed_unsynced_);
    files.push_back(active_fd_);
    sync_directory = std::exchange(directory_dirty_, false);
    target = written_end_;
  }
  // Oldest first, so that durable data never has a gap before it.
  for (const auto& file : files) {
    if (::fdatasync(file->get()) != 0) return SystemError("fdatasync segment", errno);
  }
  if (sync_directory) {
    if (auto synced = SyncDirectory(directory_); !synced) return tl::unexpected(synced.error());
  }
  std::lock_guard lock(mutex_);
  if (synced_end_.next_offset < target.next_offset) synced_end_ = target;
  return true;
}

LogEnd PartitionLog::VisibleEnd() const {
  std::lock_guard lock(mutex_);
  return options_.expose_after_sync ? synced_end_ : written_end_;
}

std::vector<SegmentInfo> PartitionLog::Segments() const {
  std::lock_guard lock(mutex_);
  std::vector<SegmentInfo> out;
  out.reserve(segments_.size());
  for (const auto& segment : segments_) {
    out.push_back(SegmentInfo{segment.base_offset, SegmentPath(directory_, segment.base_offset)});
  }
  return out;
}

int64_t PartitionLog::StartOffset() const {
  std::lock_guard lock(mutex_);
  return segments_.front().base_offset;
}

uint64_t PartitionLog::DeleteClosedSegments(int64_t below_offset,
                                            std::filesystem::file_time_type written_before,
                                            std::vector<DeletedRange>* unconsumed) {
  std::lock_guard lock(mutex_);
  uint64_t freed = 0;
  while (segments_.size() > 1) {
    const Segment& oldest = segments_.front();
    const int64_t end_offset = segments_[1].base_offset;
    const auto path = SegmentPath(directory_, oldest.base_offset);
    std::error_code error;
    const auto written = std::filesystem::last_write_time(path, error);
    const bool consumed = end_offset <= below_offset;
    const bool expired = !error && written < written_before;
    if (!consumed && !expired) break;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) break;
    if (!consumed && unconsumed != nullptr) {
      unconsumed->push_back(DeletedRange{oldest.base_offset, end_offset});
    }
    freed += oldest.size;
    size_bytes_.fetch_sub(oldest.size);
    segments_.erase(segments_.begin());
  }
  return freed;
}

}  // namespace lp::queue::spool
