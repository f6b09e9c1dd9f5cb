// libFuzzer target for the log store's json column (src/search/logstore/json_column.cc), both
// ways: the input's lines, written as a block's documents, must come back byte for byte; and the
// input itself, read as an encoded column, must decode or fail with an error, never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "search/logstore/json_column.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lp::search::logstore;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::vector<std::string_view> documents;
  for (size_t start = 0; start <= input.size();) {
    const size_t end = std::min(input.find('\n', start), input.size());
    documents.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  JsonColumnWriter writer;
  for (const auto document : documents) writer.Add(document);
  const std::string encoded = writer.Finish();
  std::string text;
  std::vector<std::string_view> views;
  if (!DecodeJsonColumn(encoded, documents.size(), text, views)) std::abort();
  if (views != documents) std::abort();

  const size_t rows = size == 0 ? 0 : data[0] % 64;
  (void)DecodeJsonColumn(input, rows, text, views);
  return 0;
}
