// libFuzzer target for everything a client controls in POST /logs: the body bytes and the
// Content-Type and Content-Encoding headers. The first input byte picks the header combination.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/request_decoder.h"

namespace {

constexpr const char* kContentTypes[] = {"application/json", "application/x-ndjson", "",
                                         "text/plain"};
constexpr const char* kEncodings[] = {"", "gzip", "zstd", "identity"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lp::collector::RequestDecoder decoder(lp::collector::DecodeOptions{
      .max_body_bytes = 1 << 20, .event_limits = {.max_event_bytes = 64 * 1024, .max_depth = 64}});
  static lp::collector::DecodedBatch batch;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  const auto result =
      decoder.Decode(kContentTypes[selector & 3], kEncodings[(selector >> 2) & 3], body, batch);
  if (result) {
    // Every accepted event must be a valid event on its own: what reaches the queue is sound.
    lp::EventValidator validator;
    for (const auto& event : batch.events) {
      if (!validator.Validate(batch.Json(event))) __builtin_trap();
    }
    if (batch.events.size() + batch.rejected == 0 && !batch.errors.empty()) __builtin_trap();
  }
  return 0;
}
