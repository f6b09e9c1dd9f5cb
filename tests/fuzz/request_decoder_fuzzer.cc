// libFuzzer target for everything a client controls in POST /logs: the body bytes and the
// Content-Type and Content-Encoding headers. The first input byte picks the header combination.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/request_decoder.h"
#include "decoder_fuzzing.h"

namespace {

constexpr const char* kContentTypes[] = {"application/json", "application/x-ndjson", "",
                                         "text/plain"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lp::collector::RequestDecoder decoder(lp::fuzzing::kDecodeOptions);
  static lp::collector::DecodedBatch batch;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string body = lp::fuzzing::Body(data, size);
  if (decoder.Decode(kContentTypes[selector & 3], lp::fuzzing::ContentEncoding(selector >> 2), body,
                     batch)) {
    lp::fuzzing::CheckEveryEventIsValid(batch);
    if (batch.events.size() + batch.rejected == 0 && !batch.errors.empty()) __builtin_trap();
  }
  return 0;
}
