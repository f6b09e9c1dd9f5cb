// libFuzzer target for everything a client controls in an Elasticsearch bulk request: the body
// and the index in the path. The first input byte picks the path's index and the encoding.
#include <cstddef>
#include <cstdint>

#include "collector/protocols/es_bulk.h"
#include "decoder_fuzzing.h"

namespace {

constexpr const char* kPathIndexes[] = {"", "logs-app", "", "x"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lp::collector::EsBulkDecoder decoder(lp::fuzzing::kDecodeOptions);
  static lp::collector::BulkBatch batch;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string body = lp::fuzzing::Body(data, size);
  if (decoder.Decode(kPathIndexes[selector & 3], lp::fuzzing::ContentEncoding(selector >> 2), body,
                     batch)) {
    // Every accepted event is a valid event on its own, and every item is answered once.
    lp::fuzzing::CheckEveryEventIsValid(batch.events);
    if (batch.events.events.size() + batch.events.rejected != batch.items.size()) __builtin_trap();
  }
  return 0;
}
