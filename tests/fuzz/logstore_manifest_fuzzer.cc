// libFuzzer target for the log store's MANIFEST (src/search/logstore/manifest.cc): any text
// decodes or fails with an error, never crashes; what decodes encodes to text that decodes to
// the same manifest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "search/logstore/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lp::search::logstore;
  const auto decoded = DecodeManifest(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!decoded) return 0;
  const auto again = DecodeManifest(EncodeManifest(*decoded));
  if (!again || EncodeManifest(*again) != EncodeManifest(*decoded)) std::abort();
  return 0;
}
