// libFuzzer target for opening a spool partition whose last segment file holds arbitrary bytes
// (src/queue/spool/partition_log recovery and partition_reader): the log must open or fail with
// an error, never crash; after recovery the records read back in increasing offsets below the
// recovered end (damaged records are holes, a cut tail moves the end past the offsets it held),
// and an append lands at the end and reads back last.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "queue/spool/partition_log.h"
#include "queue/spool/partition_reader.h"
#include "queue/spool/record_format.h"

namespace {

// One scratch folder per fuzzing process, emptied before each input.
const std::filesystem::path& Scratch() {
  static const std::filesystem::path path = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "spool_segment_fuzzer.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    return std::filesystem::path(pattern);
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lp::queue::spool;
  const auto& directory = Scratch();
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  {
    std::ofstream segment(directory / "00000000000000000000.log", std::ios::binary);
    segment.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto log = PartitionLog::Open(directory, {.segment_bytes = 1 << 20, .syncs = false});
  if (!log) return 0;
  const int64_t recovered = (*log)->VisibleEnd().next_offset;

  std::string frame;
  EncodeRecord({.key = "k", .value = "appended", .timestamp_ms = 1}, frame);
  const auto appended = (*log)->Append(frame, 1);
  if (!appended || *appended != recovered) __builtin_trap();

  PartitionReader reader(**log, "t", 0, 0);
  std::vector<lp::queue::ConsumedRecord> records;
  const auto appended_read = [&] { return !records.empty() && records.back().offset == recovered; };
  for (int round = 0; round < 1000 && !appended_read(); ++round) {
    if (!reader.Read(1000, records)) __builtin_trap();
  }
  if (!appended_read() || records.back().value != "appended") __builtin_trap();
  for (size_t i = 1; i < records.size(); ++i) {
    if (records[i].offset <= records[i - 1].offset) __builtin_trap();
  }
  return 0;
}
