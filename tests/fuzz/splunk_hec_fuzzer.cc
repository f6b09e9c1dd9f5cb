// libFuzzer target for everything a client controls in a Splunk HEC request: the event
// endpoint's JSON objects or the raw endpoint's lines, and the Content-Encoding. The first input
// byte picks the endpoint and the encoding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/protocols/splunk_hec.h"
#include "core/event_validator.h"

namespace {

constexpr const char* kEncodings[] = {"", "gzip", "zstd", "identity"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lp::collector::HecDecoder decoder(lp::collector::DecodeOptions{
      .max_body_bytes = 1 << 20, .event_limits = {.max_event_bytes = 64 * 1024, .max_depth = 64}});
  static lp::collector::DecodedBatch batch;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const char* encoding = kEncodings[(selector >> 1) & 3];
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto result = (selector & 1)
                          ? decoder.DecodeRaw(encoding, body, {.host = "h", .source = "s"}, batch)
                          : decoder.DecodeEvents(encoding, body, batch, "acme");
  if (result) {
    lp::EventValidator validator;
    for (const auto& event : batch.events) {
      if (!validator.Validate(batch.Json(event))) __builtin_trap();
    }
  }
  return 0;
}
