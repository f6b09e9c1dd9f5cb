// libFuzzer target for a consumer group's offsets file (src/queue/spool/offset_store): opening a
// spool folder whose `<group>.offsets` holds arbitrary bytes must load it or fail with an error
// naming the file, never crash; what loads survives a commit and a reopen unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "queue/spool/offset_store.h"

namespace {

const std::filesystem::path& Scratch() {
  static const std::filesystem::path path = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "spool_offsets_fuzzer.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    return std::filesystem::path(pattern);
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lp::queue::spool::OffsetStore;
  const auto& directory = Scratch();
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  {
    std::ofstream file(directory / "g.offsets", std::ios::binary);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto store = OffsetStore::Open(directory);
  if (!store) {
    if (store.error().message.find("g.offsets") == std::string::npos) __builtin_trap();
    return 0;
  }
  const auto before = (*store)->Get("g", "t", 0);
  const lp::queue::OffsetCommit commit{.partition = 1, .next_offset = 7, .metadata = "m\t\n"};
  if (!(*store)->Commit("g", "t", {&commit, 1})) __builtin_trap();

  auto reopened = OffsetStore::Open(directory);
  if (!reopened) __builtin_trap();
  const auto after = (*reopened)->Get("g", "t", 0);
  if (before.has_value() != after.has_value()) __builtin_trap();
  if (before && (before->next_offset != after->next_offset || before->metadata != after->metadata))
    __builtin_trap();
  const auto committed = (*reopened)->Get("g", "t", 1);
  if (!committed || committed->next_offset != 7 || committed->metadata != "m\t\n") __builtin_trap();
  return 0;
}
