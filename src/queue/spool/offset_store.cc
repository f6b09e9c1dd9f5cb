#include "queue/spool/offset_store.h"

#include <charconv>
#include <sstream>

#include "core/file_util.h"

namespace lp::queue::spool {
namespace {

constexpr std::string_view kExtension = ".offsets";
constexpr std::string_view kHexDigits = "0123456789abcdef";

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out += kHexDigits[c >> 4];
    out += kHexDigits[c & 0xf];
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const auto high = kHexDigits.find(hex[i]);
    const auto low = kHexDigits.find(hex[i + 1]);
    if (high == std::string_view::npos || low == std::string_view::npos) return std::nullopt;
    out += static_cast<char>((high << 4) | low);
  }
  return out;
}

template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size();
}

}  // namespace

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 200 || name == "." || name == "..") return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<std::unique_ptr<OffsetStore>> OffsetStore::Open(std::filesystem::path directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return Permanent("cannot create " + directory.string() + ": " + error.message());
  std::unique_ptr<OffsetStore> store(new OffsetStore(std::move(directory)));
  if (auto loaded = store->Load(); !loaded) return tl::unexpected(loaded.error());
  return store;
}

// Each line: topic TAB partition TAB next_offset TAB hex(metadata); partition -1 only registers.
Result<void> OffsetStore::Load() {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, error)) {
    const auto& path = entry.path();
    if (path.extension() != kExtension) continue;
    const std::string group = path.stem().string();
    auto contents = ReadWholeFile(path);
    if (!contents) return tl::unexpected(contents.error());
    Group& loaded = groups_[group];
    std::istringstream lines(*contents);
    std::string line;
    int line_number = 0;
    while (std::getline(lines, line)) {
      ++line_number;
      std::string_view rest = line;
      std::string_view fields[4];
      for (int i = 0; i < 4; ++i) {
        const auto tab = i < 3 ? rest.find('\t') : rest.size();
        if (tab == std::string_view::npos)
          return Permanent("malformed line " + std::to_string(line_number) + " in " +
                           path.string());
        fields[i] = rest.substr(0, tab);
        rest.remove_prefix(std::min(rest.size(), tab + 1));
      }
      int32_t partition = 0;
      CommittedOffset offset;
      auto metadata = HexDecode(fields[3]);
      if (!ParseNumber(fields[1], partition) || !ParseNumber(fields[2], offset.next_offset) ||
          !metadata) {
        return Permanent("malformed line " + std::to_string(line_number) + " in " + path.string());
      }
      const std::string topic(fields[0]);
      loaded.topics[topic] = true;
      if (partition >= 0) {
        offset.metadata = std::move(*metadata);
        loaded.offsets[Key{topic, partition}] = std::move(offset);
      }
    }
  }
  if (error) return Permanent("cannot list " + directory_.string() + ": " + error.message());
  return {};
}

Result<void> OffsetStore::Persist(const std::string& group) {
  const Group& state = groups_.at(group);
  std::string contents;
  for (const auto& [topic, registered] : state.topics) {
    contents += topic + "\t-1\t0\t\n";
  }
  for (const auto& [key, offset] : state.offsets) {
    contents += std::get<0>(key) + "\t" + std::to_string(std::get<1>(key)) + "\t" +
                std::to_string(offset.next_offset) + "\t" + HexEncode(offset.metadata) + "\n";
  }
  return ReplaceFileAtomically(directory_ / (group + std::string(kExtension)), contents);
}

Result<void> OffsetStore::Register(const std::string& group, const std::string& topic) {
  std::lock_guard lock(mutex_);
  Group& state = groups_[group];
  if (state.topics.contains(topic)) return {};
  state.topics[topic] = true;
  return Persist(group);
}

Result<void> OffsetStore::Commit(const std::string& group, const std::string& topic,
                                 std::span<const OffsetCommit> commits) {
  std::lock_guard lock(mutex_);
  Group& state = groups_[group];
  state.topics[topic] = true;
  for (const auto& commit : commits) {
    state.offsets[Key{topic, commit.partition}] =
        CommittedOffset{commit.next_offset, commit.metadata};
  }
  return Persist(group);
}

std::optional<CommittedOffset> OffsetStore::Get(const std::string& group, const std::string& topic,
                                                int32_t partition) const {
  std::lock_guard lock(mutex_);
  const auto state = groups_.find(group);
  if (state == groups_.end()) return std::nullopt;
  const auto offset = state->second.offsets.find(Key{topic, partition});
  if (offset == state->second.offsets.end()) return std::nullopt;
  return offset->second;
}

int64_t OffsetStore::HighestCommitted(const std::string& topic, int32_t partition) const {
  std::lock_guard lock(mutex_);
  int64_t highest = 0;
  for (const auto& [name, state] : groups_) {
    const auto offset = state.offsets.find(Key{topic, partition});
    if (offset != state.offsets.end()) highest = std::max(highest, offset->second.next_offset);
  }
  return highest;
}

std::vector<std::pair<std::string, int64_t>> OffsetStore::Needs(const std::string& topic,
                                                                int32_t partition,
                                                                int64_t start) const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, int64_t>> needs;
  for (const auto& [name, state] : groups_) {
    if (!state.topics.contains(topic)) continue;
    const auto offset = state.offsets.find(Key{topic, partition});
    needs.emplace_back(name, offset == state.offsets.end() ? start : offset->second.next_offset);
  }
  return needs;
}

std::optional<int64_t> OffsetStore::LowestNeeded(const std::string& topic, int32_t partition,
                                                 int64_t start) const {
  std::optional<int64_t> lowest;
  for (const auto& [group, needed] : Needs(topic, partition, start)) {
    lowest = lowest ? std::min(*lowest, needed) : needed;
  }
  return lowest;
}

}  // namespace lp::queue::spool
