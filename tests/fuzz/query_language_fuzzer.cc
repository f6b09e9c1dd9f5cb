// libFuzzer target for the query language parser (src/search/query_language), which reads the
// `q` parameter of every query API request: it answers a tree or an error naming a character
// inside the text, and never crashes or loops.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "search/query_language.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view q(reinterpret_cast<const char*>(data), size);
  const auto parsed = lp::search::ParseQuery(q);
  (void)parsed;
  return 0;
}
