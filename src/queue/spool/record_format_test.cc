#include "queue/spool/record_format.h"

#include <gtest/gtest.h>

namespace lp::queue::spool {
namespace {

TEST(RecordFormatTest, RoundTripsKeyValueTimestampAndHeaders) {
  const std::vector<Header> headers{{"error", "bad level"}, {"stage", "validate"}};
  std::string frames;
  EncodeRecord(OutgoingRecord{"svc", R"({"a":1})", 1234, headers}, frames);
  const auto record = DecodeRecord(frames);
  ASSERT_EQ(record.status, DecodeStatus::kRecord);
  EXPECT_EQ(record.frame_bytes, frames.size());
  EXPECT_EQ(record.key, "svc");
  EXPECT_EQ(record.value, R"({"a":1})");
  EXPECT_EQ(record.timestamp_ms, 1234);
  ASSERT_EQ(record.headers.size(), 2u);
  EXPECT_EQ(record.headers[1].name, "stage");
  EXPECT_EQ(record.headers[1].value, "validate");
}

TEST(RecordFormatTest, ReportsTruncatedFramesAsIncomplete) {
  std::string frames;
  EncodeRecord(OutgoingRecord{"k", "value", 1, {}}, frames);
  for (size_t cut = 0; cut < frames.size(); ++cut) {
    EXPECT_EQ(DecodeRecord(std::string_view(frames).substr(0, cut)).status,
              DecodeStatus::kIncomplete)
        << cut;
  }
}

TEST(RecordFormatTest, DetectsFlippedBitsByChecksum) {
  std::string frames;
  EncodeRecord(OutgoingRecord{"k", "value", 1, {}}, frames);
  frames[frames.size() - 2] ^= 0x10;
  const auto damaged = DecodeRecord(frames);
  EXPECT_EQ(damaged.status, DecodeStatus::kDamaged);
  EXPECT_EQ(damaged.frame_bytes, frames.size());
}

TEST(RecordFormatTest, ImplausibleLengthsAreBrokenFraming) {
  std::string frames;
  EncodeRecord(OutgoingRecord{"k", "value", 1, {}}, frames);
  frames[3] = static_cast<char>(0x7f);  // Body length far past the limit.
  EXPECT_EQ(DecodeRecord(frames).status, DecodeStatus::kCorrupt);
  EXPECT_EQ(DecodeRecord(std::string(16, '\0')).status, DecodeStatus::kCorrupt);
}

}  // namespace
}  // namespace lp::queue::spool
