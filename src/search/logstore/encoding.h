#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace lp::search::logstore {

// Little-endian fixed-width integers and LEB128 varints, the only encodings of the part and
// manifest files (see README.md). Readers check every bound: a short input fails, never reads
// past the end.

inline void PutU32(std::string& out, uint32_t value) {
  char bytes[4];
  std::memcpy(bytes, &value, 4);
  out.append(bytes, 4);
}

inline void PutU64(std::string& out, uint64_t value) {
  char bytes[8];
  std::memcpy(bytes, &value, 8);
  out.append(bytes, 8);
}

inline void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

inline uint64_t ZigZag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}
inline int64_t UnZigZag(uint64_t value) {
  return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
}

inline void PutBytes(std::string& out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out.append(bytes);
}

/// Reads what the Put functions wrote; `ok()` turns false at the first short or malformed value
/// and stays false, and every later read returns zero or empty.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  uint32_t U32() { return Fixed<uint32_t>(); }
  uint64_t U64() { return Fixed<uint64_t>(); }
  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64 && ok_; shift += 7) {
      if (position_ >= data_.size()) break;
      const auto byte = static_cast<uint8_t>(data_[position_++]);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    ok_ = false;
    return 0;
  }
  std::string_view Bytes() {
    const uint64_t size = Varint();
    if (!ok_ || size > data_.size() - position_) {
      ok_ = false;
      return {};
    }
    const auto bytes = data_.substr(position_, size);
    position_ += size;
    return bytes;
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool done() const { return position_ == data_.size(); }
  [[nodiscard]] size_t remaining() const { return data_.size() - position_; }

 private:
  template <typename T>
  T Fixed() {
    if (!ok_ || data_.size() - position_ < sizeof(T)) {
      ok_ = false;
      return 0;
    }
    T value;
    std::memcpy(&value, data_.data() + position_, sizeof(T));
    position_ += sizeof(T);
    return value;
  }

  std::string_view data_;
  size_t position_ = 0;
  bool ok_ = true;
};

}  // namespace lp::search::logstore
