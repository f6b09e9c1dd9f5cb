// libFuzzer target for everything a syslog sender controls: a TCP stream cut into reads of
// fuzzer-chosen sizes and framed (octet counting, line feeds), and each message decoded as RFC
// 5424 or 3164. The first input byte sets the read size.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "collector/protocols/syslog.h"
#include "decoder_fuzzing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lp::collector::SyslogDecoder decoder(
      lp::collector::DecodeOptions{.event_limits = {.max_event_bytes = 4096, .max_depth = 64}});
  static lp::collector::DecodedBatch batch;
  if (size == 0) return 0;
  const size_t read_size = 1 + data[0] % 64;
  lp::collector::SyslogFramer framer(4096);
  batch.Clear();
  // 2023-11-14T22:13:20Z, so that RFC 3164 dates do not depend on the day the fuzzer runs.
  constexpr lp::EpochMillis kNow = 1700000000000;
  for (size_t at = 1; at < size; at += read_size) {
    const size_t chunk = std::min(read_size, size - at);
    std::memcpy(framer.Prepare(chunk), data + at, chunk);
    framer.Commit(chunk);
    while (const auto frame = framer.Next()) {
      if (frame->too_long_bytes != 0) {
        decoder.RejectTooLong(frame->too_long_bytes, batch);
      } else {
        decoder.Add(frame->message, kNow, batch);
      }
    }
  }
  lp::fuzzing::CheckEveryEventIsValid(batch);
  return 0;
}
