#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

struct libdeflate_compressor;

namespace lp::archiver {

enum class Compression { kGzip, kZstd };

[[nodiscard]] Result<Compression> ParseCompression(std::string_view name);
/// The object key's suffix: ".ndjson.gz" or ".ndjson.zst".
[[nodiscard]] std::string_view KeySuffix(Compression compression);

/// Whole-buffer compression: gzip with libdeflate (several times zlib's speed), or zstd.
/// Not thread-safe: one per worker.
class Compressor {
 public:
  explicit Compressor(Compression compression);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  /// The compressed bytes, valid until the next call.
  [[nodiscard]] Result<std::string_view> Compress(std::string_view data);

 private:
  Compression compression_;
  libdeflate_compressor* deflate_ = nullptr;
  // Kept at its largest size, so that batch after batch reuses pages instead of faulting and
  // zeroing fresh ones (a third of the archiver's time went to that).
  std::string buffer_;
};

}  // namespace lp::archiver
