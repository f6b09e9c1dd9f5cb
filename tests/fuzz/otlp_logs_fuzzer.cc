// libFuzzer target for everything a client controls in an OTLP/HTTP logs export: the body in
// either encoding and its Content-Encoding. The first input byte picks both.
#include <cstddef>
#include <cstdint>

#include "collector/protocols/otlp_logs.h"
#include "decoder_fuzzing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lp::collector::OtlpLogsDecoder decoder(lp::fuzzing::kDecodeOptions);
  static lp::collector::DecodedBatch batch;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const auto encoding = lp::fuzzing::WireEncoding(selector);
  const std::string body = lp::fuzzing::Body(data, size);
  if (decoder.Decode(encoding, lp::fuzzing::ContentEncoding(selector >> 1), body, batch)) {
    lp::fuzzing::CheckEveryEventIsValid(batch);
    (void)lp::collector::OtlpAnswer(encoding, batch);
  }
  return 0;
}
