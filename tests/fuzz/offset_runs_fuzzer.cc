// libFuzzer target for an archive object's `line-offsets` metadata (src/core/offset_runs), which
// replay reads from objects anyone with access to the bucket could have written. The first input
// byte is how many offsets the caller expects (the object's line count).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/offset_runs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t expected = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto offsets = lp::ParseOffsetRuns(text, expected);
  if (!offsets) return 0;
  // Never more than expected, strictly ascending, and written back as the same list.
  if (offsets->size() > expected) __builtin_trap();
  std::vector<lp::OffsetRun> runs;
  for (size_t i = 0; i < offsets->size(); ++i) {
    if (i > 0 && (*offsets)[i] <= (*offsets)[i - 1]) __builtin_trap();
    if (!runs.empty() && (*offsets)[i] == runs.back().second + 1) {
      runs.back().second = (*offsets)[i];
    } else {
      runs.emplace_back((*offsets)[i], (*offsets)[i]);
    }
  }
  if (lp::ParseOffsetRuns(lp::FormatOffsetRuns(runs), expected) != offsets) __builtin_trap();
  return 0;
}
