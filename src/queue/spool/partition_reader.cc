#include "queue/spool/partition_reader.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "core/logging.h"
#include "queue/spool/record_format.h"

namespace lp::queue::spool {
namespace {

constexpr size_t kReadChunkBytes = 1024 * 1024;
constexpr int kOpenAttempts = 5;

const Logger& Log() {
  static const Logger logger("spool");
  return logger;
}

}  // namespace

PartitionReader::PartitionReader(const PartitionLog& log, std::string topic, int32_t partition,
                                 int64_t start_offset, metrics::Counter* corrupt_tails,
                                 metrics::Counter* damaged_records)
    : log_(log),
      topic_(std::move(topic)),
      partition_(partition),
      next_offset_(start_offset),
      corrupt_tails_(corrupt_tails),
      damaged_records_(damaged_records) {}

void PartitionReader::Seek(int64_t offset) {
  CloseSegment();
  next_offset_ = offset;
}

void PartitionReader::CloseSegment() {
  fd_.Reset();
  buffer_.clear();
  position_ = 0;
  file_position_ = 0;
}

Result<bool> PartitionReader::OpenSegmentFor(int64_t offset) {
  for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
    const auto segments = log_.Segments();
    auto it = std::upper_bound(
        segments.begin(), segments.end(), offset,
        [](int64_t value, const SegmentInfo& segment) { return value < segment.base_offset; });
    if (it == segments.begin()) {
      // Retention removed what was asked for: resume at the oldest record held.
      offset = segments.front().base_offset;
      it = segments.begin() + 1;
    }
    const SegmentInfo& segment = *(it - 1);
    auto fd = OpenFile(segment.path, O_RDONLY);
    if (!fd) {
      if (errno == ENOENT) continue;  // Deleted by retention since the listing; list again.
      return tl::unexpected(fd.error());
    }
    fd_ = std::move(*fd);
    segment_base_ = segment.base_offset;
    segment_offset_ = segment.base_offset;
    skip_until_ = offset;
    next_offset_ = offset;
    buffer_.clear();
    position_ = 0;
    file_position_ = 0;
    return true;
  }
  return Retryable("segment files keep disappearing under the reader");
}

Result<void> PartitionReader::Read(size_t max_records, std::vector<ConsumedRecord>& out) {
  const LogEnd end = log_.VisibleEnd();
  size_t emitted = 0;
  while (emitted < max_records) {
    if (!fd_.valid()) {
      if (next_offset_ >= end.next_offset) return {};
      auto opened = OpenSegmentFor(next_offset_);
      if (!opened) return tl::unexpected(opened.error());
    }
    const bool active = segment_base_ == end.segment_base;
    const uint64_t limit = active ? end.segment_size : UINT64_MAX;

    const auto record = DecodeRecord(std::string_view(buffer_).substr(position_));
    if (record.status == DecodeStatus::kRecord) {
      if (segment_offset_ >= skip_until_) {
        ConsumedRecord consumed;
        consumed.topic = topic_;
        consumed.partition = partition_;
        consumed.offset = segment_offset_;
        consumed.timestamp_ms = record.timestamp_ms;
        consumed.key = std::string(record.key);
        consumed.value = std::string(record.value);
        consumed.headers = record.headers;
        out.push_back(std::move(consumed));
        ++emitted;
        next_offset_ = segment_offset_ + 1;
      }
      position_ += record.frame_bytes;
      ++segment_offset_;
      continue;
    }
    if (record.status == DecodeStatus::kDamaged) {
      // The frame is intact, so the records after it keep their offsets: skip just this one.
      if (segment_offset_ >= skip_until_) {
        Log().Error(
            "damaged record skipped: its checksum fails",
            {{"topic", topic_},
             {"partition", std::to_string(partition_)},
             {"offset", std::to_string(segment_offset_)},
             {"segment", std::to_string(segment_base_)},
             {"byte_position", std::to_string(file_position_ - buffer_.size() + position_)}});
        if (damaged_records_ != nullptr) damaged_records_->Increment();
        next_offset_ = segment_offset_ + 1;
      }
      position_ += record.frame_bytes;
      ++segment_offset_;
      continue;
    }
    const uint64_t buffered_end = file_position_;
    if (record.status == DecodeStatus::kIncomplete && buffered_end < limit) {
      buffer_.erase(0, position_);
      position_ = 0;
      const size_t want =
          static_cast<size_t>(std::min<uint64_t>(kReadChunkBytes, limit - buffered_end));
      const size_t old_size = buffer_.size();
      buffer_.resize(old_size + want);
      const auto got = ReadAt(fd_.get(), buffer_.data() + old_size, want, buffered_end);
      if (!got) return tl::unexpected(got.error());
      buffer_.resize(old_size + *got);
      file_position_ += *got;
      if (*got > 0) continue;
    }
    if (active && record.status == DecodeStatus::kIncomplete) return {};
    // End of a closed segment, or a corrupt record: go on with the next segment. Bytes left over
    // at the end of a closed segment (a damaged length field) are corruption too.
    const bool corrupt = record.status == DecodeStatus::kCorrupt || position_ < buffer_.size();
    if (corrupt) {
      Log().Error("rest of a segment skipped: its framing is broken",
                  {{"topic", topic_},
                   {"partition", std::to_string(partition_)},
                   {"segment", std::to_string(segment_base_)},
                   {"first_unread_offset", std::to_string(segment_offset_)},
                   {"byte_position", std::to_string(file_position_ - buffer_.size() + position_)}});
      if (corrupt_tails_ != nullptr) corrupt_tails_->Increment();
    }
    const auto segments = log_.Segments();
    const auto next = std::upper_bound(
        segments.begin(), segments.end(), segment_base_,
        [](int64_t value, const SegmentInfo& segment) { return value < segment.base_offset; });
    CloseSegment();
    if (next == segments.end()) return {};
    next_offset_ = std::max(next_offset_, next->base_offset);
  }
  return {};
}

}  // namespace lp::queue::spool
