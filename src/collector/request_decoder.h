#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "collector/batch_builder.h"

namespace lp::collector {

/// Turns a POST /logs body (JSON object, JSON array of objects, or NDJSON; identity, gzip or
/// zstd) into validated events. Everything a client can send is answered by a result, never a
/// crash: this is the target of the request decoder fuzzer.
///
/// Not thread-safe: it owns parsers and buffers that it reuses, so use one per thread.
class RequestDecoder {
 public:
  explicit RequestDecoder(DecodeOptions options = {});

  /// `body` must have simdjson::SIMDJSON_PADDING bytes of spare capacity (the HTTP server
  /// provides them); it is not modified. Fills `out` (cleared first). Each accepted event gets
  /// the reserved `tenant` field set to `tenant` (the sender's token's); a `tenant` the sender
  /// wrote is removed, also when `tenant` is empty (authentication off).
  [[nodiscard]] tl::expected<void, RequestFailure> Decode(std::string_view content_type,
                                                          std::string_view content_encoding,
                                                          const std::string& body,
                                                          DecodedBatch& out,
                                                          std::string_view tenant = {});

 private:
  enum class Shape { kSingle, kArray, kLines };

  /// `body_offset`: where `body` starts in the request body, for the offsets errors name.
  tl::expected<void, RequestFailure> DecodeArray(std::string_view body, size_t capacity,
                                                 size_t body_offset, DecodedBatch& out);
  void DecodeLines(std::string_view body, DecodedBatch& out);

  DecodeOptions options_;
  BatchBuilder builder_;
  simdjson::ondemand::parser array_parser_;
  std::string decompressed_;
};

}  // namespace lp::collector
