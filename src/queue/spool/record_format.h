#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "queue/queue.h"

namespace lp::queue::spool {

/// On-disk framing of one record in a segment file (little endian):
///   u32 body_length | u32 crc32(body) | body
///   body = i64 timestamp_ms | u16 key_length | u16 header_count | key
///          | header_count × (u16 name_length | name | u32 value_length | value) | value
/// Offsets are implicit: a segment's base offset plus the record's position in it.
inline constexpr size_t kFrameHeaderBytes = 8;
inline constexpr uint32_t kMaxBodyBytes = 64 * 1024 * 1024;
inline constexpr uint32_t kMinBodyBytes = 12;
/// The smallest frame a record can take, so a span of N bytes holds at most N / kMinFrameBytes.
inline constexpr size_t kMinFrameBytes = kFrameHeaderBytes + kMinBodyBytes;

/// Appends the framed record to `out`.
void EncodeRecord(const OutgoingRecord& record, std::string& out);

/// kDamaged: the frame is intact (its length is plausible and all its bytes are there) but its
/// contents fail the checksum; the next record starts `frame_bytes` further on. kCorrupt: the
/// framing itself is broken, so where the next record starts is unknown.
enum class DecodeStatus { kRecord, kIncomplete, kDamaged, kCorrupt };

struct DecodedRecord {
  DecodeStatus status = DecodeStatus::kIncomplete;
  size_t frame_bytes = 0;  ///< Bytes the record takes, frame header included (also kDamaged).
  int64_t timestamp_ms = 0;
  std::string_view key;
  std::string_view value;
  std::vector<Header> headers;
};

/// Decodes the record at the start of `data`, checking its checksum. kIncomplete means more
/// bytes are needed (or, at the end of a file, a torn write).
[[nodiscard]] DecodedRecord DecodeRecord(std::string_view data);

}  // namespace lp::queue::spool
