#include "queue/spool/partition_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/testing/temp_directory.h"
#include "queue/spool/partition_reader.h"
#include "queue/spool/record_format.h"

namespace lp::queue::spool {
namespace {

class PartitionLogTest : public testing::Test {
 protected:
  std::unique_ptr<PartitionLog> OpenLog(uint64_t segment_bytes = 1 << 20) {
    auto log = PartitionLog::Open(directory_, {.segment_bytes = segment_bytes});
    EXPECT_TRUE(log.has_value());
    return std::move(*log);
  }

  static void AppendValues(PartitionLog& log, int first, int count) {
    std::string frames;
    for (int i = first; i < first + count; ++i) {
      EncodeRecord(OutgoingRecord{"key", "value-" + std::to_string(i), i, {}}, frames);
    }
    ASSERT_TRUE(log.Append(frames, static_cast<uint32_t>(count)).has_value());
  }

  static std::vector<ConsumedRecord> ReadAll(const PartitionLog& log, int64_t from) {
    PartitionReader reader(log, "t", 0, from);
    std::vector<ConsumedRecord> out;
    EXPECT_TRUE(reader.Read(1'000'000, out).has_value());
    return out;
  }

  // File positions of each record's frame in a segment.
  static std::vector<uint64_t> FramePositions(const std::filesystem::path& segment) {
    const auto contents = ReadWholeFile(segment);
    EXPECT_TRUE(contents.has_value());
    std::vector<uint64_t> positions;
    size_t position = 0;
    while (position < contents->size()) {
      const auto record = DecodeRecord(std::string_view(*contents).substr(position));
      if (record.status != DecodeStatus::kRecord) break;
      positions.push_back(position);
      position += record.frame_bytes;
    }
    return positions;
  }

  static void FlipByte(const std::filesystem::path& file, uint64_t position, char mask = 0x40) {
    const int fd = ::open(file.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char byte = 0;
    ASSERT_EQ(::pread(fd, &byte, 1, static_cast<off_t>(position)), 1);
    byte ^= mask;
    ASSERT_EQ(::pwrite(fd, &byte, 1, static_cast<off_t>(position)), 1);
    ::close(fd);
  }

  lp::test_support::TempDirectory temp_{"partition_log"};
  const std::filesystem::path& directory_ = temp_.path();
};

TEST_F(PartitionLogTest, AssignsConsecutiveOffsetsAcrossSegments) {
  auto log = OpenLog(/*segment_bytes=*/200);
  for (int i = 0; i < 20; ++i) AppendValues(*log, i * 3, 3);
  EXPECT_GT(log->Segments().size(), 5u);
  const auto records = ReadAll(*log, 0);
  ASSERT_EQ(records.size(), 60u);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(records[static_cast<size_t>(i)].offset, i);
    EXPECT_EQ(records[static_cast<size_t>(i)].value, "value-" + std::to_string(i));
  }
  EXPECT_EQ(ReadAll(*log, 41).front().value, "value-41");
}

TEST_F(PartitionLogTest, TruncatesATornTailOnReopen) {
  {
    auto log = OpenLog();
    AppendValues(*log, 0, 10);
  }
  const auto segment = SegmentPath(directory_, 0);
  const auto intact = std::filesystem::file_size(segment);
  {
    // Half a record, as a crash in the middle of write(2) leaves it.
    std::string frames;
    EncodeRecord(OutgoingRecord{"key", "torn", 1, {}}, frames);
    const int fd = ::open(segment.c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, frames.data(), frames.size() / 2),
              static_cast<ssize_t>(frames.size() / 2));
    ::close(fd);
  }
  auto log = OpenLog();
  EXPECT_EQ(std::filesystem::file_size(segment), intact);
  const auto& recovery = log->recovery();
  EXPECT_GT(recovery.cut_bytes, 0u);
  EXPECT_EQ(recovery.cut_records, 1);
  // The torn record's offset (10) may have been read before the crash: it is never reused.
  EXPECT_EQ(recovery.skipped_from, 10);
  EXPECT_GT(recovery.skipped_to, 10);
  EXPECT_EQ(log->VisibleEnd().next_offset, recovery.skipped_to);
  AppendValues(*log, 10, 1);
  const auto records = ReadAll(*log, 0);
  ASSERT_EQ(records.size(), 11u);
  EXPECT_EQ(records.back().value, "value-10");
  EXPECT_EQ(records.back().offset, recovery.skipped_to);
  EXPECT_EQ(records[9].offset, 9);
}

TEST_F(PartitionLogTest, KeepsTheRecordsAroundADamagedOneOnReopen) {
  {
    auto log = OpenLog();
    AppendValues(*log, 0, 100);
  }
  const auto segment = SegmentPath(directory_, 0);
  const auto positions = FramePositions(segment);
  ASSERT_EQ(positions.size(), 100u);
  FlipByte(segment, positions[50] + kFrameHeaderBytes + 14);  // Inside record 50's body.
  const auto size = std::filesystem::file_size(segment);

  auto log = OpenLog();
  EXPECT_EQ(std::filesystem::file_size(segment), size);
  EXPECT_EQ(log->recovery().damaged_records, 1);
  EXPECT_EQ(log->recovery().damaged_positions, std::vector<uint64_t>{positions[50]});
  EXPECT_EQ(log->recovery().cut_bytes, 0u);
  EXPECT_EQ(log->VisibleEnd().next_offset, 100);
  metrics::Counter damaged;
  PartitionReader reader(*log, "t", 0, 0, nullptr, &damaged);
  std::vector<ConsumedRecord> records;
  ASSERT_TRUE(reader.Read(1000, records).has_value());
  ASSERT_EQ(records.size(), 99u);
  EXPECT_EQ(damaged.Value(), 1u);
  for (const auto& record : records) {
    EXPECT_NE(record.offset, 50);
    EXPECT_EQ(record.value, "value-" + std::to_string(record.offset));
  }
}

TEST_F(PartitionLogTest, CutsWhereTheFramingBreaksAndNeverReusesTheOffsetsCut) {
  {
    auto log = OpenLog();
    AppendValues(*log, 0, 100);
  }
  const auto segment = SegmentPath(directory_, 0);
  const auto positions = FramePositions(segment);
  FlipByte(segment, positions[60] + 3, 0x7f);  // Record 60's length becomes implausible.

  auto log = OpenLog();
  const auto& recovery = log->recovery();
  EXPECT_EQ(std::filesystem::file_size(segment), positions[60]);
  EXPECT_EQ(recovery.cut_position, positions[60]);
  // The broken record and the 39 intact ones after it, found by their checksums.
  EXPECT_EQ(recovery.cut_records, 40);
  EXPECT_EQ(recovery.skipped_from, 60);
  EXPECT_GE(recovery.skipped_to, 100);
  AppendValues(*log, 1000, 1);
  const auto records = ReadAll(*log, 0);
  ASSERT_EQ(records.size(), 61u);
  EXPECT_EQ(records.back().value, "value-1000");
  EXPECT_GE(records.back().offset, 100);

  // And a restart after that changes nothing.
  log.reset();
  log = OpenLog();
  EXPECT_EQ(log->recovery().cut_bytes, 0u);
  EXPECT_EQ(log->VisibleEnd().next_offset, records.back().offset + 1);
}

TEST_F(PartitionLogTest, MovesTheEndForwardOnRequestButNeverBack) {
  auto log = OpenLog();
  AppendValues(*log, 0, 5);
  EXPECT_EQ(log->SkipTo(3), false);
  EXPECT_EQ(log->SkipTo(500), true);
  AppendValues(*log, 5, 1);
  const auto records = ReadAll(*log, 0);
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records.back().offset, 500);
  log.reset();
  log = OpenLog();
  EXPECT_EQ(log->VisibleEnd().next_offset, 501);
}

TEST_F(PartitionLogTest, ReadersSkipADamagedRecordOfAClosedSegment) {
  auto log = OpenLog(/*segment_bytes=*/300);
  for (int i = 0; i < 8; ++i) AppendValues(*log, i * 4, 4);
  const auto segments = log->Segments();
  ASSERT_GT(segments.size(), 2u);
  const auto positions = FramePositions(segments[0].path);
  ASSERT_GE(positions.size(), 3u);
  FlipByte(segments[0].path, positions[1] + kFrameHeaderBytes + 14);
  metrics::Counter skipped;
  metrics::Counter damaged;
  PartitionReader reader(*log, "t", 0, 0, &skipped, &damaged);
  std::vector<ConsumedRecord> records;
  ASSERT_TRUE(reader.Read(1000, records).has_value());
  EXPECT_EQ(skipped.Value(), 0u);
  EXPECT_EQ(damaged.Value(), 1u);
  ASSERT_EQ(records.size(), 31u);
  EXPECT_EQ(records[0].offset, 0);
  EXPECT_EQ(records[1].offset, 2);
  EXPECT_EQ(records.back().offset, 31);
}

TEST_F(PartitionLogTest, ReadersSkipTheRestOfAClosedSegmentWhoseFramingBreaks) {
  auto log = OpenLog(/*segment_bytes=*/300);
  for (int i = 0; i < 8; ++i) AppendValues(*log, i * 4, 4);
  const auto segments = log->Segments();
  ASSERT_GT(segments.size(), 2u);
  const auto positions = FramePositions(segments[0].path);
  ASSERT_GE(positions.size(), 3u);
  FlipByte(segments[0].path, positions[1] + 3, 0x7f);
  metrics::Counter skipped;
  PartitionReader reader(*log, "t", 0, 0, &skipped);
  std::vector<ConsumedRecord> records;
  ASSERT_TRUE(reader.Read(1000, records).has_value());
  EXPECT_EQ(skipped.Value(), 1u);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.front().offset, 0);
  EXPECT_EQ(records[1].offset, segments[1].base_offset);
  EXPECT_EQ(records.back().offset, 31);
  // Everything from the second segment on is intact and in order.
  const auto second = std::find_if(records.begin(), records.end(), [&](const auto& record) {
    return record.offset == segments[1].base_offset;
  });
  ASSERT_NE(second, records.end());
  EXPECT_EQ(records.end() - second, 32 - segments[1].base_offset);
}

TEST_F(PartitionLogTest, HidesUnsyncedRecordsWhenExposingAfterSync) {
  auto log = PartitionLog::Open(directory_, {.segment_bytes = 1 << 20, .expose_after_sync = true});
  ASSERT_TRUE(log.has_value());
  AppendValues(**log, 0, 3);
  EXPECT_TRUE(ReadAll(**log, 0).empty());
  ASSERT_EQ((*log)->Sync(), true);
  EXPECT_EQ(ReadAll(**log, 0).size(), 3u);
}

TEST_F(PartitionLogTest, DeletesOnlyWhollyConsumedClosedSegments) {
  auto log = OpenLog(/*segment_bytes=*/100);
  for (int i = 0; i < 10; ++i) AppendValues(*log, i * 2, 2);
  const auto segments = log->Segments();
  ASSERT_GT(segments.size(), 3u);
  const auto size_before = log->SizeBytes();
  const auto freed =
      log->DeleteClosedSegments(segments[2].base_offset, std::filesystem::file_time_type::min());
  EXPECT_GT(freed, 0u);
  EXPECT_EQ(log->SizeBytes(), size_before - freed);
  EXPECT_EQ(log->StartOffset(), segments[2].base_offset);
  // A reader asking for deleted records resumes at the oldest one held.
  EXPECT_EQ(ReadAll(*log, 0).front().offset, segments[2].base_offset);
  // The active segment is never deleted, whatever the age limit says.
  log->DeleteClosedSegments(INT64_MAX, std::filesystem::file_time_type::max());
  EXPECT_EQ(log->Segments().size(), 1u);
}

}  // namespace
}  // namespace lp::queue::spool
