// libFuzzer target for everything a client controls in an Elasticsearch bulk request: the body
// and the index in the path. The first input byte picks the path's index and the encoding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/protocols/es_bulk.h"

namespace {

constexpr const char* kPathIndexes[] = {"", "logs-app", "", "x"};
constexpr const char* kEncodings[] = {"", "gzip", "zstd", "identity"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lp::collector::EsBulkDecoder decoder(lp::collector::DecodeOptions{
      .max_body_bytes = 1 << 20, .event_limits = {.max_event_bytes = 64 * 1024, .max_depth = 64}});
  static lp::collector::BulkBatch batch;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  const auto result =
      decoder.Decode(kPathIndexes[selector & 3], kEncodings[(selector >> 2) & 3], body, batch);
  if (result) {
    // Every accepted event is a valid event on its own, and every item is answered once.
    lp::EventValidator validator;
    for (const auto& event : batch.events.events) {
      if (!validator.Validate(batch.events.Json(event))) __builtin_trap();
    }
    if (batch.events.events.size() + batch.events.rejected != batch.items.size()) __builtin_trap();
  }
  return 0;
}
