// libFuzzer target for opening a log store part file holding arbitrary bytes
// (src/search/logstore/part.cc): the part must open or fail with an error, never crash, and an
// opened part's blocks decode or fail with an error. The input's trailer checksums are set right
// before opening (the bytes are otherwise kept), so the fuzzer reaches the index and the columns
// instead of stopping at the checksum every time; the checksum check has its own unit test.
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "search/logstore/part.h"

namespace {

constexpr size_t kTrailerBytes = 80;  // part.cc's layout (README.md)
constexpr size_t kTrailerHashedBytes = 56;

const std::filesystem::path& Scratch() {
  static const std::filesystem::path path = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "logstore_part_fuzzer.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    return std::filesystem::path(pattern);
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lp::search::logstore;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.size() >= kTrailerBytes) {
    const size_t trailer = bytes.size() - kTrailerBytes;
    const uint64_t body_hash = XXH3_64bits(bytes.data(), trailer);
    std::memcpy(bytes.data() + trailer + kTrailerHashedBytes - 8, &body_hash, 8);
    const uint64_t trailer_hash = XXH3_64bits(bytes.data() + trailer, kTrailerHashedBytes);
    std::memcpy(bytes.data() + trailer + kTrailerHashedBytes, &trailer_hash, 8);
  }
  const auto path = Scratch() / "part-000000000001.lp";
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const auto part = Part::Open(path);
  if (!part) return 0;
  DecodedBlock decoded;
  for (size_t block = 0; block < (*part)->blocks().size(); ++block) {
    if (!(*part)->Decode(block, (1U << kColumns) - 1, decoded)) continue;
    const auto& summary = (*part)->blocks()[block];
    // A block that decodes has a value of every column for each of its rows.
    if (decoded.timestamps.size() != summary.rows || decoded.ids.size() != summary.rows ||
        decoded.service_codes.size() != summary.rows || decoded.members.size() != summary.rows) {
      std::abort();
    }
  }
  (void)(*part)->FindId("app-logs-0-1");
  return 0;
}
