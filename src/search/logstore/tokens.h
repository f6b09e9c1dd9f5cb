#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lp::search::logstore {

/// Calls `visit(token)` for each token of `text`: maximal runs of ASCII letters and digits and
/// of bytes >= 0x80 (so UTF-8 words stay whole), lower-cased into `scratch`. The same splitter
/// builds the bloom filters and evaluates queries, so they always agree. No allocation once
/// `scratch` has grown.
template <typename Visit>
void ForEachToken(std::string_view text, std::string& scratch, Visit&& visit) {
  size_t i = 0;
  const size_t size = text.size();
  while (i < size) {
    while (i < size) {
      const auto c = static_cast<unsigned char>(text[i]);
      if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80) break;
      ++i;
    }
    if (i == size) return;
    scratch.clear();
    while (i < size) {
      auto c = static_cast<unsigned char>(text[i]);
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<unsigned char>(c | 0x20);
      } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c >= 0x80)) {
        break;
      }
      scratch.push_back(static_cast<char>(c));
      ++i;
    }
    visit(std::string_view(scratch));
  }
}

/// The tokens of `text`, for queries (not the write path).
[[nodiscard]] std::vector<std::string> Tokenize(std::string_view text);

[[nodiscard]] uint64_t HashToken(std::string_view token);
/// The bloom filter key of a keyword column's whole value (`service`, `host`), never equal to a
/// message token's (those have no control bytes).
[[nodiscard]] uint64_t HashKeyword(std::string_view field, std::string_view value);
/// The bloom filter key of a document id in a block's filter (seeded apart from HashToken's).
[[nodiscard]] uint64_t HashIdKey(std::string_view id);

/// A split-block bloom filter (as Parquet's): each key sets 8 bits inside one 32-byte block, so
/// a probe touches one cache line. About 1 % false positives at 12 bits per key.
class BloomBuilder {
 public:
  /// Sized for `keys` distinct keys.
  explicit BloomBuilder(size_t keys);
  void Add(uint64_t hash);
  /// The filter's bytes, a whole number of 32-byte blocks.
  [[nodiscard]] const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

/// Whether `hash` may have been added to the filter in `bytes` (an empty filter says yes).
[[nodiscard]] bool BloomMayContain(std::string_view bytes, uint64_t hash);

}  // namespace lp::search::logstore
