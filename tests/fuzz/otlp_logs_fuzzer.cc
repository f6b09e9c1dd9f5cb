// libFuzzer target for everything a client controls in an OTLP/HTTP logs export: the body in
// either encoding and its Content-Encoding. The first input byte picks both.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/protocols/otlp_logs.h"
#include "core/event_validator.h"

namespace {

constexpr const char* kEncodings[] = {"", "gzip", "zstd", "identity"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lp::collector::OtlpLogsDecoder decoder(lp::collector::DecodeOptions{
      .max_body_bytes = 1 << 20, .event_limits = {.max_event_bytes = 64 * 1024, .max_depth = 64}});
  static lp::collector::DecodedBatch batch;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const auto encoding =
      (selector & 1) ? lp::collector::WireEncoding::kJson : lp::collector::WireEncoding::kProtobuf;
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto result = decoder.Decode(encoding, kEncodings[(selector >> 1) & 3], body, batch);
  if (result) {
    lp::EventValidator validator;
    for (const auto& event : batch.events) {
      if (!validator.Validate(batch.Json(event))) __builtin_trap();
    }
    (void)lp::collector::OtlpAnswer(encoding, batch);
  }
  return 0;
}
