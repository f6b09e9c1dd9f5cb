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

// Counts the intact records at the start of a segment file and returns where they end.
Result<std::pair<int64_t, uint64_t>> ScanIntactPrefix(int fd) {
  std::string buffer;
  uint64_t file_offset = 0;  // File position of buffer[0].
  size_t position = 0;
  int64_t records = 0;
  std::vector<char> chunk(kRecoveryReadBytes);
  bool at_eof = false;
  while (true) {
    const auto record = DecodeRecord(std::string_view(buffer).substr(position));
    if (record.status == DecodeStatus::kRecord) {
      position += record.frame_bytes;
      ++records;
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
  return std::pair{records, file_offset + position};
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
  auto scanned = ScanIntactPrefix(fd->get());
  if (!scanned) return tl::unexpected(scanned.error());
  const auto [records, intact_bytes] = *scanned;
  const auto size = std::filesystem::file_size(last_path, error);
  if (error) return Permanent("cannot stat segment: " + error.message());
  if (size != intact_bytes) {
    // A torn write from a crash, or corruption: what follows the last intact record was never
    // acknowledged as durable, so it is cut off.
    if (::ftruncate(fd->get(), static_cast<off_t>(intact_bytes)) != 0) {
      return SystemError("truncate " + last_path.string(), errno);
    }
    if (::fsync(fd->get()) != 0) return SystemError("fsync " + last_path.string(), errno);
  }
  segments_.push_back(Segment{last_base, intact_bytes});
  total += intact_bytes;
  active_fd_ = std::make_shared<UniqueFd>(std::move(*fd));
  next_offset_ = last_base + records;
  written_end_ = LogEnd{next_offset_, last_base, intact_bytes};
  synced_end_ = written_end_;
  size_bytes_.store(total);
  return {};
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

Result<int64_t> PartitionLog::Append(std::string_view frames, uint32_t count) {
  std::lock_guard lock(mutex_);
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
  const int64_t first = next_offset_;
  segments_.back().size += frames.size();
  size_bytes_.fetch_add(frames.size());
  next_offset_ += count;
  written_end_ = LogEnd{next_offset_, segments_.back().base_offset, segments_.back().size};
  return first;
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
                                            std::filesystem::file_time_type written_before) {
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
    freed += oldest.size;
    size_bytes_.fetch_sub(oldest.size);
    segments_.erase(segments_.begin());
  }
  return freed;
}

}  // namespace lp::queue::spool
