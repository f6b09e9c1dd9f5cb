// libFuzzer target for everything a client controls in a Splunk HEC request: the event
// endpoint's JSON objects or the raw endpoint's lines, and the Content-Encoding. The first input
// byte picks the endpoint and the encoding.
#include <cstddef>
#include <cstdint>

#include "collector/protocols/splunk_hec.h"
#include "decoder_fuzzing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lp::collector::HecDecoder decoder(lp::fuzzing::kDecodeOptions);
  static lp::collector::DecodedBatch batch;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const char* encoding = lp::fuzzing::ContentEncoding(selector >> 1);
  const std::string body = lp::fuzzing::Body(data, size);
  const auto result = (selector & 1)
                          ? decoder.DecodeRaw(encoding, body, {.host = "h", .source = "s"}, batch)
                          : decoder.DecodeEvents(encoding, body, batch, "acme");
  if (result) lp::fuzzing::CheckEveryEventIsValid(batch);
  return 0;
}
