#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace lp::search::logstore {

/// The stored documents of a block, split into what repeats and what varies: each document's
/// shape (its text with every scalar value cut out: keys, punctuation, whitespace) is coded into a
/// per-block dictionary, and the values are grouped by the key path they sit at (`payload.status`,
/// `labels.env`, `tags[]`). A block's trace ids, statuses and regions then lie next to each other,
/// where zstd compresses them far better than interleaved in JSON text (a fifth fewer bytes on the
/// benchmark's events), and the text is given back byte for byte.
///
/// Any bytes round-trip: a document the splitter cannot read as JSON (an unterminated string, a
/// NUL byte) is kept whole.
class JsonColumnWriter {
 public:
  void Add(std::string_view json);
  /// The encoded column (JsonColumnLayout::kFramed) for the documents added since the last
  /// Finish, its frames compressed at `zstd_level`; then starts over.
  [[nodiscard]] Result<std::string> Finish(int zstd_level = 1);
  [[nodiscard]] size_t rows() const { return rows_; }

 private:
  struct Shape {
    uint32_t code = 0;
    std::vector<uint32_t> slot_paths;  ///< For each value slot of the shape, its path's code.
  };
  const Shape& ShapeOf(const std::string& shape);

  std::unordered_map<std::string, Shape> shapes_;
  std::vector<std::string_view> shape_order_;
  std::unordered_map<std::string, uint32_t> path_codes_;
  std::vector<std::string> paths_;  ///< Each path's values, PutBytes'd in row order.
  std::vector<std::string_view> path_names_;
  std::vector<uint32_t> path_values_;  ///< How many values each path holds.
  std::string row_codes_;              ///< Per row: 0 for a whole document, else shape + 1.
  std::string whole_documents_;
  size_t whole_count_ = 0;
  size_t rows_ = 0;
  std::string shape_scratch_;
  std::vector<std::string_view> value_scratch_;
};

/// How an encoded column holds its parts. kFramed (part format 3 on): a zstd frame of the shapes,
/// row codes, whole documents and path directory, then a zstd frame per path's values, so that
/// reading one path decompresses only the directory and that path. kInline (format 2): all of it
/// in one byte string, which the part compressed as a whole.
enum class JsonColumnLayout { kInline, kFramed };

/// Rebuilds the `rows` documents of an encoded column into `text`, with `views` pointing into it.
/// A column that does not decode exactly (counts, codes, lengths) is an error naming what.
[[nodiscard]] Result<void> DecodeJsonColumn(std::string_view encoded, size_t rows,
                                            std::string& text, std::vector<std::string_view>& views,
                                            JsonColumnLayout layout = JsonColumnLayout::kFramed);

/// A document's value at a path, read from an encoded column without rebuilding the document.
struct JsonLeaf {
  /// kMissing: no scalar there (no such key, or an object, an array or nothing at the path).
  enum class Kind : uint8_t { kMissing, kString, kBare };
  Kind kind = Kind::kMissing;
  /// kString: the content between the quotes, still JSON-escaped; kBare: the token (a number,
  /// true, false or null).
  std::string_view text{};
};

/// Each row's value at each of `paths` (the keys from the root; a key may hold dots) into
/// `leaves[path][row]`, pointing into `encoded` or `storage` (what it decompresses; keep both
/// while the leaves are read): what a JSON parser walking the rebuilt document
/// finds there (the first of repeated keys), at the cost of stepping through one path's values.
/// False when the column holds what this cannot answer for (a document kept whole, a key with
/// an escape): the caller rebuilds the documents then. A column that does not decode is an error.
[[nodiscard]] Result<bool> ReadJsonLeaves(std::string_view encoded, size_t rows,
                                          JsonColumnLayout layout,
                                          std::span<const std::vector<std::string>> paths,
                                          std::vector<std::vector<JsonLeaf>>& leaves,
                                          std::deque<std::string>& storage);
}  // namespace lp::search::logstore
