#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace lp {

enum class ContentEncoding { kIdentity, kGzip, kZstd };

enum class DecompressFailure {
  kTooLarge,  ///< The decoded body would exceed the limit (also guards against bombs).
  kCorrupt,   ///< The input is not a valid stream of its encoding.
};

struct DecompressError {
  DecompressFailure failure;
  std::string message;
};

/// Decodes a whole gzip (one or more members) or zstd body into `output`, never growing it past
/// `limit` bytes. `output` gets `padding` spare bytes of capacity after its contents so that
/// simdjson can read it in place.
[[nodiscard]] tl::expected<void, DecompressError> Decompress(ContentEncoding encoding,
                                                             std::string_view input, size_t limit,
                                                             size_t padding, std::string& output);

}  // namespace lp
