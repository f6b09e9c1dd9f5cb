#include "core/decompress.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <memory>

namespace lp {
namespace {

constexpr size_t kGrowStep = 256 * 1024;

tl::unexpected<DecompressError> TooLarge(size_t limit) {
  return tl::unexpected(
      DecompressError{DecompressFailure::kTooLarge,
                      "decoded body exceeds the limit of " + std::to_string(limit) + " bytes"});
}

tl::unexpected<DecompressError> Corrupt(std::string message) {
  return tl::unexpected(DecompressError{DecompressFailure::kCorrupt, std::move(message)});
}

// Grows `output` by up to one step without passing `limit`; returns the writable window.
bool Grow(std::string& output, size_t& used, size_t limit) {
  if (used >= limit) return false;
  const size_t target = std::min(limit, std::max(used + kGrowStep, used * 2));
  output.resize(target);
  return true;
}

tl::expected<void, DecompressError> Gunzip(std::string_view input, size_t limit,
                                           std::string& output, size_t& used) {
  z_stream stream{};
  // 16 + MAX_WBITS: expect a gzip header and trailer.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return Corrupt("cannot start gzip decoder");
  const std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, inflateEnd);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  while (true) {
    if (used == output.size() && !Grow(output, used, limit + 1)) return TooLarge(limit);
    stream.next_out = reinterpret_cast<Bytef*>(output.data() + used);
    stream.avail_out = static_cast<uInt>(output.size() - used);
    const int status = inflate(&stream, Z_NO_FLUSH);
    used = output.size() - stream.avail_out;
    if (used > limit) return TooLarge(limit);
    if (status == Z_STREAM_END) {
      if (stream.avail_in == 0) return {};
      // Another gzip member follows (concatenated gzip files are valid gzip).
      if (inflateReset(&stream) != Z_OK) return Corrupt("corrupt gzip body: bad member");
      continue;
    }
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && stream.avail_out != 0) {
      return Corrupt("corrupt gzip body: truncated stream");
    }
    if (status != Z_OK && status != Z_BUF_ERROR) {
      return Corrupt(std::string("corrupt gzip body: ") + (stream.msg ? stream.msg : "bad data"));
    }
  }
}

tl::expected<void, DecompressError> Unzstd(std::string_view input, size_t limit,
                                           std::string& output, size_t& used) {
  const std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> context(ZSTD_createDCtx(),
                                                                   ZSTD_freeDCtx);
  if (!context) return Corrupt("cannot start zstd decoder");
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  size_t last_status = 0;
  while (in.pos < in.size || last_status != 0) {
    if (used == output.size() && !Grow(output, used, limit + 1)) return TooLarge(limit);
    ZSTD_outBuffer out{output.data() + used, output.size() - used, 0};
    const size_t before = in.pos;
    last_status = ZSTD_decompressStream(context.get(), &out, &in);
    if (ZSTD_isError(last_status)) {
      return Corrupt(std::string("corrupt zstd body: ") + ZSTD_getErrorName(last_status));
    }
    used += out.pos;
    if (used > limit) return TooLarge(limit);
    if (out.pos == 0 && in.pos == before && in.pos == in.size) {
      return Corrupt("corrupt zstd body: truncated frame");
    }
  }
  return {};
}

}  // namespace

tl::expected<void, DecompressError> Decompress(ContentEncoding encoding, std::string_view input,
                                               size_t limit, size_t padding, std::string& output) {
  output.clear();
  size_t used = 0;
  tl::expected<void, DecompressError> result;
  switch (encoding) {
    case ContentEncoding::kIdentity:
      if (input.size() > limit) return TooLarge(limit);
      output.assign(input);
      used = input.size();
      break;
    case ContentEncoding::kGzip:
      if (input.empty()) return Corrupt("corrupt gzip body: empty");
      result = Gunzip(input, limit, output, used);
      break;
    case ContentEncoding::kZstd:
      if (input.empty()) return Corrupt("corrupt zstd body: empty");
      result = Unzstd(input, limit, output, used);
      break;
  }
  if (!result) return result;
  output.resize(used);
  output.reserve(used + padding);
  return {};
}

}  // namespace lp
