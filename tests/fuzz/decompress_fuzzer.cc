// libFuzzer target for the body decoders (src/core/decompress): gzip (one or more members) and
// zstd. The first input byte picks the encoding and the output limit, so that both the success
// path and the size guard against decompression bombs are reached.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/decompress.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const auto encoding = (selector & 1) ? lp::ContentEncoding::kZstd : lp::ContentEncoding::kGzip;
  const size_t limit = (selector & 2) ? 1 << 20 : 64;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string output;
  const auto result = lp::Decompress(encoding, input, limit, 64, output);
  // A decoded body holds the limit whatever the input claims, and has the padding promised to
  // simdjson; after an error the output is unspecified.
  if (result && (output.size() > limit || output.capacity() < output.size() + 64)) __builtin_trap();
  return 0;
}
