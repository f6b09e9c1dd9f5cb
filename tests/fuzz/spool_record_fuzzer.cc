// libFuzzer target for the spool's record framing (src/queue/spool/record_format): DecodeRecord
// over arbitrary bytes, as recovery and readers meet them in a torn or corrupt segment. A record
// that decodes must say how long it is within the input and encode back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "queue/spool/record_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Decode records one after the other, as a reader walks a segment.
  while (!input.empty()) {
    const auto decoded = lp::queue::spool::DecodeRecord(input);
    if (decoded.status != lp::queue::spool::DecodeStatus::kRecord) break;
    if (decoded.frame_bytes < lp::queue::spool::kFrameHeaderBytes ||
        decoded.frame_bytes > input.size())
      __builtin_trap();
    std::string encoded;
    lp::queue::spool::EncodeRecord({.key = decoded.key,
                                    .value = decoded.value,
                                    .timestamp_ms = decoded.timestamp_ms,
                                    .headers = decoded.headers},
                                   encoded);
    if (encoded != input.substr(0, decoded.frame_bytes)) __builtin_trap();
    input.remove_prefix(decoded.frame_bytes);
  }
  return 0;
}
