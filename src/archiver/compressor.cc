#include "archiver/compressor.h"

#include <libdeflate.h>
#include <zstd.h>

namespace lp::archiver {
namespace {

// libdeflate's level 6 compresses like gzip -6 at several times its speed; zstd's 3 is its default.
constexpr int kGzipLevel = 6;
constexpr int kZstdLevel = 3;

}  // namespace

Result<Compression> ParseCompression(std::string_view name) {
  if (name == "gzip") return Compression::kGzip;
  if (name == "zstd") return Compression::kZstd;
  return Permanent("compression must be gzip or zstd, not \"" + std::string(name) + "\"");
}

std::string_view KeySuffix(Compression compression) {
  return compression == Compression::kGzip ? ".ndjson.gz" : ".ndjson.zst";
}

Compressor::Compressor(Compression compression) : compression_(compression) {
  if (compression_ == Compression::kGzip) deflate_ = libdeflate_alloc_compressor(kGzipLevel);
}

Compressor::~Compressor() {
  if (deflate_ != nullptr) libdeflate_free_compressor(deflate_);
}

Result<std::string_view> Compressor::Compress(std::string_view data) {
  if (compression_ == Compression::kGzip) {
    if (deflate_ == nullptr) return Retryable("cannot allocate a gzip compressor");
    const size_t bound = libdeflate_gzip_compress_bound(deflate_, data.size());
    if (buffer_.size() < bound) buffer_.resize(bound);
    const size_t size =
        libdeflate_gzip_compress(deflate_, data.data(), data.size(), buffer_.data(), bound);
    if (size == 0) return Permanent("gzip compression failed");
    return std::string_view(buffer_.data(), size);
  }
  const size_t bound = ZSTD_compressBound(data.size());
  if (buffer_.size() < bound) buffer_.resize(bound);
  const size_t size = ZSTD_compress(buffer_.data(), bound, data.data(), data.size(), kZstdLevel);
  if (ZSTD_isError(size) != 0) {
    return Permanent(std::string("zstd compression failed: ") + ZSTD_getErrorName(size));
  }
  return std::string_view(buffer_.data(), size);
}

}  // namespace lp::archiver
