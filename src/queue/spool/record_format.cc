#include "queue/spool/record_format.h"

#include <libdeflate.h>

#include <cstring>

namespace lp::queue::spool {
namespace {

template <typename T>
void Put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // The formats are little endian, as is every target.
  out.append(bytes, sizeof(T));
}

template <typename T>
bool Take(std::string_view& data, T& value) {
  if (data.size() < sizeof(T)) return false;
  std::memcpy(&value, data.data(), sizeof(T));
  data.remove_prefix(sizeof(T));
  return true;
}

bool TakeBytes(std::string_view& data, size_t size, std::string_view& out) {
  if (data.size() < size) return false;
  out = data.substr(0, size);
  data.remove_prefix(size);
  return true;
}

// CRC-32 (the zlib polynomial) through libdeflate, whose carry-less-multiply code is several
// times faster than zlib's on the hot append path.
uint32_t Checksum(std::string_view body) { return libdeflate_crc32(0, body.data(), body.size()); }

}  // namespace

void EncodeRecord(const OutgoingRecord& record, std::string& out) {
  const size_t frame_start = out.size();
  Put<uint32_t>(out, 0);
  Put<uint32_t>(out, 0);
  const size_t body_start = out.size();
  Put<int64_t>(out, record.timestamp_ms);
  Put<uint16_t>(out, static_cast<uint16_t>(record.key.size()));
  Put<uint16_t>(out, static_cast<uint16_t>(record.headers.size()));
  out.append(record.key);
  for (const auto& header : record.headers) {
    Put<uint16_t>(out, static_cast<uint16_t>(header.name.size()));
    out.append(header.name);
    Put<uint32_t>(out, static_cast<uint32_t>(header.value.size()));
    out.append(header.value);
  }
  out.append(record.value);
  const auto body_length = static_cast<uint32_t>(out.size() - body_start);
  const uint32_t checksum = Checksum(std::string_view(out).substr(body_start));
  std::memcpy(out.data() + frame_start, &body_length, sizeof body_length);
  std::memcpy(out.data() + frame_start + 4, &checksum, sizeof checksum);
}

DecodedRecord DecodeRecord(std::string_view data) {
  DecodedRecord record;
  uint32_t body_length = 0;
  uint32_t checksum = 0;
  if (!Take(data, body_length) || !Take(data, checksum)) return record;
  if (body_length > kMaxBodyBytes || body_length < kMinBodyBytes) {
    record.status = DecodeStatus::kCorrupt;
    return record;
  }
  if (data.size() < body_length) return record;
  std::string_view body = data.substr(0, body_length);
  record.status = DecodeStatus::kDamaged;
  record.frame_bytes = kFrameHeaderBytes + body_length;
  if (Checksum(body) != checksum) return record;

  uint16_t key_length = 0;
  uint16_t header_count = 0;
  if (!Take(body, record.timestamp_ms) || !Take(body, key_length) || !Take(body, header_count) ||
      !TakeBytes(body, key_length, record.key)) {
    return record;
  }
  record.headers.reserve(header_count);
  for (uint16_t i = 0; i < header_count; ++i) {
    uint16_t name_length = 0;
    uint32_t value_length = 0;
    std::string_view name, value;
    if (!Take(body, name_length) || !TakeBytes(body, name_length, name) ||
        !Take(body, value_length) || !TakeBytes(body, value_length, value)) {
      return record;
    }
    record.headers.push_back(Header{std::string(name), std::string(value)});
  }
  record.value = body;
  record.frame_bytes = kFrameHeaderBytes + body_length;
  record.status = DecodeStatus::kRecord;
  return record;
}

}  // namespace lp::queue::spool
