// What the collector's decoder fuzz targets share: the limits they decode with, the request
// body and Content-Encoding a selector byte picks, and the check that whatever a decoder
// accepted is a valid event on its own (what reaches the queue is sound).
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/batch_builder.h"
#include "collector/body_decoding.h"
#include "core/event_validator.h"

namespace lp::fuzzing {

inline constexpr collector::DecodeOptions kDecodeOptions{
    .max_body_bytes = 1 << 20, .event_limits = {.max_event_bytes = 64 * 1024, .max_depth = 64}};

/// The Content-Encoding that two bits of the selector byte pick.
inline const char* ContentEncoding(uint8_t two_bits) {
  static constexpr const char* kEncodings[] = {"", "gzip", "zstd", "identity"};
  return kEncodings[two_bits & 3];
}

/// The wire encoding (OTLP, Loki) that one bit of the selector byte picks.
inline collector::WireEncoding WireEncoding(uint8_t bit) {
  return (bit & 1) ? collector::WireEncoding::kJson : collector::WireEncoding::kProtobuf;
}

/// The request body: the input after its selector byte, padded as the HTTP server pads it.
inline std::string Body(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return body;
}

/// Traps unless every accepted event of `batch` is a valid event on its own.
inline void CheckEveryEventIsValid(const collector::DecodedBatch& batch) {
  static EventValidator validator;
  for (const auto& event : batch.events) {
    if (!validator.Validate(batch.Json(event))) __builtin_trap();
  }
}

}  // namespace lp::fuzzing
