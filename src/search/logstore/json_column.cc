#include "search/logstore/json_column.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "search/logstore/encoding.h"

namespace lp::search::logstore {
namespace {

// Where a value was cut out of a shape: a quoted string (its quotes are the shape's, its
// content the value) or a bare scalar (a number, true, false, null).
constexpr char kStringSlot = '\x01';
constexpr char kBareSlot = '\x02';

Result<void> Compress(std::string_view raw, int level, std::string& frame) {
  frame.resize(ZSTD_compressBound(raw.size()));
  const size_t size = ZSTD_compress(frame.data(), frame.size(), raw.data(), raw.size(), level);
  if (ZSTD_isError(size)) {
    return Permanent(std::string("zstd compression failed: ") + ZSTD_getErrorName(size));
  }
  frame.resize(size);
  return {};
}

// A block holds at most a few MiB of documents (PartWriter::Options::max_block_bytes plus one
// document): a column claiming far more is corrupt, and is refused before it is built.
constexpr size_t kMaxDecodedBytes = size_t{256} << 20;

bool IsSlot(char c) { return c == kStringSlot || c == kBareSlot; }

bool IsBare(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '+' || c == '.';
}

// The position of the quote closing the string that opens at `quote`, or the text's size when
// the string is not closed.
size_t StringEnd(std::string_view text, size_t quote) {
  size_t end = quote;
  while (true) {
    const void* found = std::memchr(text.data() + end + 1, '"', text.size() - end - 1);
    if (found == nullptr) return text.size();
    end = static_cast<size_t>(static_cast<const char*>(found) - text.data());
    // Escaped when an odd number of backslashes precede it.
    size_t backslashes = 0;
    while (end - backslashes > quote + 1 && text[end - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return end;
  }
}

// Cuts the scalar values out of `json` into `values` and leaves the rest, a slot byte where each
// value was, in `shape`. Strings after `{` or `,` inside an object are keys and stay in the shape.
// False for text that does not split cleanly (an unterminated string, a slot byte in the text):
// such a document is kept whole.
bool SplitDocument(std::string_view json, std::string& shape,
                   std::vector<std::string_view>& values) {
  shape.clear();
  values.clear();
  std::string containers;
  bool expect_key = false;
  size_t i = 0;
  while (i < json.size()) {
    const char c = json[i];
    if (c == '"') {
      const size_t end = StringEnd(json, i);
      if (end == json.size()) return false;
      const auto content = json.substr(i + 1, end - i - 1);
      if (expect_key && !containers.empty() && containers.back() == '{') {
        if (content.find_first_of(std::string_view("\x01\x02", 2)) != std::string_view::npos) {
          return false;
        }
        shape.append(json.substr(i, end - i + 1));
        expect_key = false;
      } else {
        shape.push_back(kStringSlot);
        values.push_back(content);
      }
      i = end + 1;
      continue;
    }
    if (IsBare(c)) {
      size_t end = i + 1;
      while (end < json.size() && IsBare(json[end])) ++end;
      shape.push_back(kBareSlot);
      values.push_back(json.substr(i, end - i));
      i = end;
      continue;
    }
    if (IsSlot(c)) return false;
    switch (c) {
      case '{':
      case '[':
        containers.push_back(c);
        expect_key = c == '{';
        break;
      case '}':
      case ']':
        if (!containers.empty()) containers.pop_back();
        break;
      case ',':
        expect_key = !containers.empty() && containers.back() == '{';
        break;
      case ':':
        expect_key = false;
        break;
      default:
        break;
    }
    shape.push_back(c);
    ++i;
  }
  return true;
}

// The key path of each slot of a shape, as both sides of the column compute it from the shape
// alone: object keys joined by '.', "[]" for an array's elements ("payload.status", "tags[]").
std::vector<std::string> SlotPaths(std::string_view shape) {
  std::vector<std::string> paths;
  // One frame per open container: an object's current key, or "[]" for an array.
  std::vector<std::string_view> frames;
  const auto path = [&] {
    std::string joined;
    for (const auto frame : frames) {
      if (frame != "[]" && !joined.empty()) joined.push_back('.');
      joined.append(frame);
    }
    return joined;
  };
  size_t i = 0;
  while (i < shape.size()) {
    const char c = shape[i];
    if (c == '"') {
      const size_t end = StringEnd(shape, i);
      if (!frames.empty() && frames.back() != "[]") {
        frames.back() = shape.substr(i + 1, end - i - 1);
      }
      i = end + 1;
      continue;
    }
    if (IsSlot(c)) {
      paths.push_back(path());
    } else if (c == '{') {
      frames.emplace_back();
    } else if (c == '[') {
      frames.emplace_back("[]");
    } else if ((c == '}' || c == ']') && !frames.empty()) {
      frames.pop_back();
    }
    ++i;
  }
  return paths;
}

}  // namespace

const JsonColumnWriter::Shape& JsonColumnWriter::ShapeOf(const std::string& shape) {
  auto found = shapes_.find(shape);
  if (found != shapes_.end()) return found->second;
  Shape entry{.code = static_cast<uint32_t>(shape_order_.size()), .slot_paths = {}};
  for (auto& path : SlotPaths(shape)) {
    auto [code, added] = path_codes_.emplace(std::move(path), static_cast<uint32_t>(paths_.size()));
    if (added) {
      paths_.emplace_back();
      path_names_.push_back(code->first);
      path_values_.push_back(0);
    }
    entry.slot_paths.push_back(code->second);
  }
  found = shapes_.emplace(shape, std::move(entry)).first;
  shape_order_.push_back(found->first);
  return found->second;
}

void JsonColumnWriter::Add(std::string_view json) {
  ++rows_;
  if (!SplitDocument(json, shape_scratch_, value_scratch_)) {
    PutVarint(row_codes_, 0);
    PutBytes(whole_documents_, json);
    ++whole_count_;
    return;
  }
  const Shape& shape = ShapeOf(shape_scratch_);
  PutVarint(row_codes_, uint64_t{shape.code} + 1);
  for (size_t slot = 0; slot < value_scratch_.size(); ++slot) {
    const uint32_t path = shape.slot_paths[slot];
    PutBytes(paths_[path], value_scratch_[slot]);
    ++path_values_[path];
  }
}

Result<std::string> JsonColumnWriter::Finish(int zstd_level) {
  std::string header;
  PutVarint(header, shape_order_.size());
  for (const auto shape : shape_order_) PutBytes(header, shape);
  header.append(row_codes_);
  PutVarint(header, whole_count_);
  header.append(whole_documents_);
  PutVarint(header, paths_.size());
  std::string frames;
  std::string frame;
  for (size_t path = 0; path < paths_.size(); ++path) {
    PutBytes(header, path_names_[path]);
    PutVarint(header, path_values_[path]);
    if (auto compressed = Compress(paths_[path], zstd_level, frame); !compressed) {
      return tl::unexpected(compressed.error());
    }
    PutVarint(header, frame.size());
    frames.append(frame);
  }
  std::string out;
  if (auto compressed = Compress(header, zstd_level, frame); !compressed) {
    return tl::unexpected(compressed.error());
  }
  PutVarint(out, frame.size());
  out.append(frame);
  out.append(frames);
  shapes_.clear();
  shape_order_.clear();
  path_codes_.clear();
  paths_.clear();
  path_names_.clear();
  path_values_.clear();
  row_codes_.clear();
  whole_documents_.clear();
  whole_count_ = 0;
  rows_ = 0;
  return out;
}

namespace {

tl::unexpected<Error> Corrupt(std::string_view what) {
  return Permanent("json column: " + std::string(what));
}

// A column's parts, located and checked for counts; a path's values are read on demand.
class ParsedColumn {
 public:
  std::vector<std::string_view> shapes;
  std::vector<uint32_t> codes;  ///< Per row: 0 for a whole document, else shape + 1.
  std::vector<std::string_view> wholes;
  std::unordered_map<std::string_view, size_t> path_index;
  std::vector<std::string_view> path_names;
  std::vector<uint64_t> path_counts;
  size_t decoded_bytes = 0;  ///< Shapes of every row, whole documents and values.

  static Result<ParsedColumn> Parse(std::string_view encoded, size_t rows, JsonColumnLayout layout,
                                    std::string& header_storage);

  /// A path's values, PutBytes'd in row order; framed ones are decompressed into `storage`,
  /// which must outlive the answer.
  Result<std::string_view> Values(size_t path, std::string& storage) const {
    if (layout_ == JsonColumnLayout::kInline) return stored_[path];
    if (auto done = Decompress(stored_[path], storage); !done) return tl::unexpected(done.error());
    return std::string_view(storage);
  }

 private:
  static Result<void> Decompress(std::string_view frame, std::string& out) {
    const auto size = ZSTD_getFrameContentSize(frame.data(), frame.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > kMaxDecodedBytes) {
      return Corrupt("a frame without a size within a block's");
    }
    out.resize(size);
    const size_t done = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
    if (ZSTD_isError(done) || done != size) return Corrupt("a frame does not decompress");
    return {};
  }

  JsonColumnLayout layout_ = JsonColumnLayout::kFramed;
  std::vector<std::string_view> stored_;  ///< Per path: its values (inline) or frame.
};

Result<ParsedColumn> ParsedColumn::Parse(std::string_view encoded, size_t rows,
                                         JsonColumnLayout layout, std::string& header_storage) {
  ParsedColumn column;
  column.layout_ = layout;
  std::string_view header = encoded;
  std::string_view frames;
  if (layout == JsonColumnLayout::kFramed) {
    Reader outer(encoded);
    const auto frame = outer.Bytes();
    if (!outer.ok()) return Corrupt("short header");
    if (auto done = Decompress(frame, header_storage); !done) return tl::unexpected(done.error());
    header = header_storage;
    frames = encoded.substr(encoded.size() - outer.remaining());
  }
  Reader reader(header);
  const uint64_t shape_count = reader.Varint();
  if (shape_count > header.size()) return Corrupt("more shapes than bytes");
  column.shapes.resize(shape_count);
  for (auto& shape : column.shapes) shape = reader.Bytes();
  column.codes.resize(rows);
  for (auto& code : column.codes) {
    const uint64_t value = reader.Varint();
    if (value > shape_count) return Corrupt("shape code outside the dictionary");
    code = static_cast<uint32_t>(value);
    if (code > 0) column.decoded_bytes += column.shapes[code - 1].size();
  }
  const uint64_t whole_count = reader.Varint();
  if (whole_count > rows) return Corrupt("more whole documents than rows");
  column.wholes.resize(whole_count);
  for (auto& whole : column.wholes) column.decoded_bytes += (whole = reader.Bytes()).size();
  const uint64_t path_count = reader.Varint();
  if (path_count > header.size()) return Corrupt("more paths than bytes");
  size_t frame_offset = 0;
  for (uint64_t path = 0; path < path_count; ++path) {
    const auto name = reader.Bytes();
    column.path_names.push_back(name);
    column.path_counts.push_back(reader.Varint());
    if (layout == JsonColumnLayout::kInline) {
      const auto values = reader.Bytes();
      column.decoded_bytes += values.size();
      column.stored_.push_back(values);
    } else {
      const uint64_t size = reader.Varint();
      if (size > frames.size() - frame_offset) return Corrupt("a frame past the column's end");
      const auto frame = frames.substr(frame_offset, size);
      frame_offset += size;
      const auto content = ZSTD_getFrameContentSize(frame.data(), frame.size());
      if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN ||
          content > kMaxDecodedBytes) {
        return Corrupt("a frame without a size within a block's");
      }
      column.decoded_bytes += content;
      column.stored_.push_back(frame);
    }
    if (!column.path_index.emplace(name, path).second) return Corrupt("a path twice");
  }
  if (!reader.ok() || !reader.done() || frame_offset != frames.size()) {
    return Corrupt("short or longer than its parts");
  }
  if (column.decoded_bytes > kMaxDecodedBytes) return Corrupt("larger than any block");
  return column;
}

// The slot of `shape` holding the value a JSON parser finds at `path` (keys from the root,
// taking the first of repeated keys), or nullopt when the value there is not a scalar or there
// is none. The shape's keys must hold no escapes.
std::optional<size_t> TargetSlot(std::string_view shape, std::span<const std::string> path) {
  // One per open container: whether it is an object reached along the path.
  std::vector<bool> on_path;
  // Per depth of the path: whether its key was met, in the object on the path at that depth.
  std::vector<bool> seen(path.size());
  bool key_matches = false;  // The key before the coming value continues the path.
  size_t slot = 0;
  size_t i = 0;
  while (i < shape.size()) {
    const char c = shape[i];
    const size_t depth = on_path.size();
    if (c == '"') {
      const size_t end = StringEnd(shape, i);
      key_matches = false;
      if (depth > 0 && on_path.back() && depth <= path.size() && !seen[depth - 1] &&
          shape.substr(i + 1, end - i - 1) == path[depth - 1]) {
        seen[depth - 1] = true;
        key_matches = true;
      }
      i = end + 1;
      continue;
    }
    if (IsSlot(c)) {
      if (key_matches && depth == path.size()) return slot;
      ++slot;
      key_matches = false;
    } else if (c == '{' || c == '[') {
      on_path.push_back(c == '{' && (depth == 0 || (key_matches && depth < path.size())));
      key_matches = false;
    } else if (c == '}' || c == ']') {
      if (!on_path.empty()) on_path.pop_back();
      key_matches = false;
    }
    ++i;
  }
  return std::nullopt;
}

}  // namespace

Result<void> DecodeJsonColumn(std::string_view encoded, size_t rows, std::string& text,
                              std::vector<std::string_view>& views, JsonColumnLayout layout) {
  std::string header;
  auto parsed = ParsedColumn::Parse(encoded, rows, layout, header);
  if (!parsed) return tl::unexpected(parsed.error());
  const auto& shapes = parsed->shapes;
  const auto& codes = parsed->codes;
  const auto& wholes = parsed->wholes;
  const auto& path_index = parsed->path_index;
  auto& path_remaining = parsed->path_counts;
  std::vector<std::string> storage(path_remaining.size());
  std::vector<Reader> path_values;
  path_values.reserve(storage.size());
  for (size_t path = 0; path < storage.size(); ++path) {
    auto values = parsed->Values(path, storage[path]);
    if (!values) return tl::unexpected(values.error());
    path_values.emplace_back(*values);
  }

  // Each shape as its runs of literal text, each followed by a slot (but the last): rebuilding a
  // row is then a copy per run and per value, never a step per byte.
  struct Piece {
    std::string_view literal;
    char slot = 0;  ///< 0 after the last run.
    size_t path = 0;
  };
  std::vector<std::vector<Piece>> shape_pieces(shapes.size());
  std::vector<size_t> shape_quotes(shapes.size());  // The quotes a row of the shape adds.
  for (size_t shape = 0; shape < shapes.size(); ++shape) {
    const auto paths = SlotPaths(shapes[shape]);
    auto& pieces = shape_pieces[shape];
    size_t start = 0;
    for (size_t i = 0; i <= shapes[shape].size(); ++i) {
      if (i < shapes[shape].size() && !IsSlot(shapes[shape][i])) continue;
      Piece piece{.literal = shapes[shape].substr(start, i - start)};
      if (i < shapes[shape].size()) {
        if (pieces.size() == paths.size()) return Corrupt("a shape has more slots than paths");
        const auto found = path_index.find(paths[pieces.size()]);
        if (found == path_index.end()) return Corrupt("a shape's path has no values");
        piece.slot = shapes[shape][i];
        piece.path = found->second;
      }
      pieces.push_back(piece);
      start = i + 1;
    }
    if (pieces.size() != paths.size() + 1) return Corrupt("a shape has fewer slots than paths");
    shape_quotes[shape] = 2 * paths.size();
  }

  // The shapes' bytes, the values' encoded bytes (at least the values) and whole documents are
  // counted in decoded_bytes; string slots add their quotes.
  size_t bound = parsed->decoded_bytes;
  for (const uint32_t code : codes) bound += code == 0 ? 0 : shape_quotes[code - 1];
  if (bound > kMaxDecodedBytes) return Corrupt("larger than any block");
  text.resize(bound);
  char* out = text.data();
  const auto put = [&out](std::string_view bytes) {
    if (bytes.empty())
      return;  // An empty view may hold no pointer at all, which memcpy must not get.
    std::memcpy(out, bytes.data(), bytes.size());
    out += bytes.size();
  };
  std::vector<size_t> ends(rows);
  size_t next_whole = 0;
  for (size_t row = 0; row < rows; ++row) {
    if (codes[row] == 0) {
      if (next_whole == wholes.size()) return Corrupt("fewer whole documents than rows");
      put(wholes[next_whole++]);
    } else {
      for (const Piece& piece : shape_pieces[codes[row] - 1]) {
        put(piece.literal);
        if (piece.slot == 0) break;
        if (path_remaining[piece.path]-- == 0) {
          return Corrupt("a path has fewer values than slots");
        }
        const auto value = path_values[piece.path].Bytes();
        if (piece.slot == kStringSlot) *out++ = '"';
        put(value);
        if (piece.slot == kStringSlot) *out++ = '"';
      }
    }
    ends[row] = static_cast<size_t>(out - text.data());
  }
  text.resize(static_cast<size_t>(out - text.data()));
  if (next_whole != wholes.size()) return Corrupt("more whole documents than rows");
  for (size_t path = 0; path < path_values.size(); ++path) {
    if (path_remaining[path] != 0 || !path_values[path].ok() || !path_values[path].done()) {
      return Corrupt("a path's values do not match its slots");
    }
  }
  views.resize(rows);
  size_t begin = 0;
  for (size_t row = 0; row < rows; ++row) {
    views[row] = std::string_view(text).substr(begin, ends[row] - begin);
    begin = ends[row];
  }
  return {};
}

Result<bool> ReadJsonLeaves(std::string_view encoded, size_t rows, JsonColumnLayout layout,
                            std::span<const std::vector<std::string>> paths,
                            std::vector<std::vector<JsonLeaf>>& leaves,
                            std::deque<std::string>& storage) {
  std::string header;
  auto parsed = ParsedColumn::Parse(encoded, rows, layout, header);
  if (!parsed) return tl::unexpected(parsed.error());
  const auto& column = *parsed;
  // A whole document has no shape to find a path in, and an escaped key could spell a path's
  // key in other bytes: both are read by parsing.
  if (!column.wholes.empty()) return false;
  for (const auto shape : column.shapes) {
    if (shape.find('\\') != std::string_view::npos) return false;
  }
  std::vector<std::vector<std::string>> slot_paths;
  slot_paths.reserve(column.shapes.size());
  for (const auto shape : column.shapes) slot_paths.push_back(SlotPaths(shape));

  std::vector<std::string> slot_kinds;  // Per shape, its slots' bytes in order.
  slot_kinds.reserve(column.shapes.size());
  for (const auto shape : column.shapes) {
    auto& kinds = slot_kinds.emplace_back();
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == '"') {
        i = StringEnd(shape, i);
      } else if (IsSlot(shape[i])) {
        kinds.push_back(shape[i]);
      }
    }
  }
  leaves.resize(paths.size());
  storage.clear();
  // Where a shape holds the path's value: which of the streams read, and which of the shape's
  // values in that stream.
  struct Target {
    size_t stream = SIZE_MAX;
    uint32_t index = 0;
    JsonLeaf::Kind kind = JsonLeaf::Kind::kMissing;
  };
  std::vector<Target> targets(column.shapes.size());
  std::vector<uint32_t> shape_values(column.shapes.size());
  for (size_t p = 0; p < paths.size(); ++p) {
    auto& out = leaves[p];
    out.assign(rows, JsonLeaf{});
    // The streams holding the path's value are named as SlotPaths names the shapes' slots; the
    // name can differ between shapes and be shared with other paths (a key holding a dot and
    // the nested path spelled alike, a key spelled "[]" and an array's elements): the shapes
    // tell them apart. Usually one stream.
    std::vector<size_t> streams;
    for (size_t shape = 0; shape < column.shapes.size(); ++shape) {
      targets[shape] = Target{};
      const auto slot = TargetSlot(column.shapes[shape], paths[p]);
      if (!slot) continue;
      const auto& name = slot_paths[shape][*slot];
      const auto found = column.path_index.find(name);
      if (found == column.path_index.end()) return Corrupt("a shape's path has no values");
      auto stream = std::find(streams.begin(), streams.end(), found->second);
      if (stream == streams.end()) stream = streams.insert(streams.end(), found->second);
      const auto& names = slot_paths[shape];
      targets[shape] =
          Target{static_cast<size_t>(stream - streams.begin()),
                 static_cast<uint32_t>(std::count(
                     names.begin(), names.begin() + static_cast<std::ptrdiff_t>(*slot), name)),
                 slot_kinds[shape][*slot] == kStringSlot ? JsonLeaf::Kind::kString
                                                         : JsonLeaf::Kind::kBare};
    }
    for (size_t stream = 0; stream < streams.size(); ++stream) {
      const auto name = column.path_names[streams[stream]];
      for (size_t shape = 0; shape < column.shapes.size(); ++shape) {
        shape_values[shape] = static_cast<uint32_t>(
            std::count(slot_paths[shape].begin(), slot_paths[shape].end(), name));
      }
      auto bytes = column.Values(streams[stream], storage.emplace_back());
      if (!bytes) return tl::unexpected(bytes.error());
      Reader values(*bytes);
      uint64_t remaining = column.path_counts[streams[stream]];
      for (size_t row = 0; row < rows; ++row) {
        const size_t shape = column.codes[row] - 1;
        const uint32_t count = shape_values[shape];
        if (count > remaining) return Corrupt("a path has fewer values than slots");
        remaining -= count;
        const Target& target = targets[shape];
        for (uint32_t value = 0; value < count; ++value) {
          const auto text = values.Bytes();
          if (target.stream == stream && target.index == value) {
            out[row] = JsonLeaf{target.kind, text};
          }
        }
      }
      if (remaining != 0 || !values.ok() || !values.done()) {
        return Corrupt("a path's values do not match its slots");
      }
    }
  }
  return true;
}

}  // namespace lp::search::logstore
