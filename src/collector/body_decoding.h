#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "collector/batch_builder.h"

namespace lp::collector {

/// A request body ready for a parser: decompressed, and followed by `capacity - text.size()`
/// (at least simdjson::SIMDJSON_PADDING) readable bytes.
struct PaddedBody {
  std::string_view text;
  size_t capacity = 0;
};

/// Decodes `body` as its Content-Encoding says (none, identity, gzip, x-gzip, zstd), never past
/// `max_bytes`, into `scratch` when it has to (compressed, or without spare capacity for the
/// padding). Failures carry their status: 415 for an unknown encoding, 413 over the limit, 400
/// for a corrupt stream. Shared by every protocol, which all accept the same encodings.
[[nodiscard]] tl::expected<PaddedBody, RequestFailure> DecodeBody(std::string_view content_encoding,
                                                                  const std::string& body,
                                                                  size_t max_bytes,
                                                                  std::string& scratch);

/// The two encodings of the protobuf-based protocols (OTLP/HTTP, Loki push); answers use the
/// request's.
enum class WireEncoding { kProtobuf, kJson };
/// The encoding a Content-Type names: `application/x-protobuf` (or `application/protobuf`),
/// `application/json`; none for anything else.
[[nodiscard]] std::optional<WireEncoding> WireEncodingOf(std::string_view content_type);

/// `text` without spaces, tabs and line breaks at either end.
[[nodiscard]] std::string_view TrimSpace(std::string_view text);
/// `text` in lower case (ASCII), for header values compared without case.
[[nodiscard]] std::string LowerAscii(std::string_view text);
/// The media type of a Content-Type header, in lower case, without parameters.
[[nodiscard]] std::string MediaTypeOf(std::string_view content_type);

}  // namespace lp::collector
