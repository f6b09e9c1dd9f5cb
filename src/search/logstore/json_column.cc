#include "search/logstore/json_column.h"

#include <algorithm>
#include <cstring>

#include "search/logstore/encoding.h"

namespace lp::search::logstore {
namespace {

// Where a value was cut out of a shape: a quoted string (its quotes are the shape's, its
// content the value) or a bare scalar (a number, true, false, null).
constexpr char kStringSlot = '\x01';
constexpr char kBareSlot = '\x02';

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

std::string JsonColumnWriter::Finish() {
  std::string out;
  PutVarint(out, shape_order_.size());
  for (const auto shape : shape_order_) PutBytes(out, shape);
  out.append(row_codes_);
  PutVarint(out, whole_count_);
  out.append(whole_documents_);
  PutVarint(out, paths_.size());
  for (size_t path = 0; path < paths_.size(); ++path) {
    PutBytes(out, path_names_[path]);
    PutVarint(out, path_values_[path]);
    PutBytes(out, paths_[path]);
  }
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

Result<void> DecodeJsonColumn(std::string_view encoded, size_t rows, std::string& text,
                              std::vector<std::string_view>& views,
                              std::span<const uint8_t> wanted) {
  const auto corrupt = [](std::string_view what) {
    return Permanent("json column: " + std::string(what));
  };
  Reader reader(encoded);
  const uint64_t shape_count = reader.Varint();
  if (shape_count > encoded.size()) return corrupt("more shapes than bytes");
  std::vector<std::string_view> shapes(shape_count);
  for (auto& shape : shapes) shape = reader.Bytes();
  std::vector<uint32_t> codes(rows);
  size_t decoded_bytes = 0;
  for (auto& code : codes) {
    const uint64_t value = reader.Varint();
    if (value > shape_count) return corrupt("shape code outside the dictionary");
    code = static_cast<uint32_t>(value);
    if (code > 0) decoded_bytes += shapes[code - 1].size();
  }
  const uint64_t whole_count = reader.Varint();
  if (whole_count > rows) return corrupt("more whole documents than rows");
  std::vector<std::string_view> wholes(whole_count);
  for (auto& whole : wholes) decoded_bytes += (whole = reader.Bytes()).size();
  const uint64_t path_count = reader.Varint();
  if (path_count > encoded.size()) return corrupt("more paths than bytes");
  std::unordered_map<std::string_view, size_t> path_index;
  std::vector<Reader> path_values;
  std::vector<uint64_t> path_remaining;
  for (uint64_t path = 0; path < path_count; ++path) {
    const auto name = reader.Bytes();
    path_remaining.push_back(reader.Varint());
    const auto values = reader.Bytes();
    decoded_bytes += values.size();
    path_values.emplace_back(values);
    if (!path_index.emplace(name, path).second) return corrupt("a path twice");
  }
  if (!reader.ok() || !reader.done()) return corrupt("short or longer than its parts");
  if (decoded_bytes > kMaxDecodedBytes) return corrupt("larger than any block");

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
        if (pieces.size() == paths.size()) return corrupt("a shape has more slots than paths");
        const auto found = path_index.find(paths[pieces.size()]);
        if (found == path_index.end()) return corrupt("a shape's path has no values");
        piece.slot = shapes[shape][i];
        piece.path = found->second;
      }
      pieces.push_back(piece);
      start = i + 1;
    }
    if (pieces.size() != paths.size() + 1) return corrupt("a shape has fewer slots than paths");
    shape_quotes[shape] = 2 * paths.size();
  }

  // The shapes' bytes, the values' encoded bytes (at least the values) and whole documents are
  // counted in decoded_bytes; string slots add their quotes.
  size_t bound = decoded_bytes;
  for (const uint32_t code : codes) bound += code == 0 ? 0 : shape_quotes[code - 1];
  if (bound > kMaxDecodedBytes) return corrupt("larger than any block");
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
  if (!wanted.empty() && wanted.size() != rows) return Permanent("json column: wanted rows");
  for (size_t row = 0; row < rows; ++row) {
    // An unwanted row's values are stepped over: the paths' cursors must still move.
    const bool copy = wanted.empty() || wanted[row] != 0;
    if (codes[row] == 0) {
      if (next_whole == wholes.size()) return corrupt("fewer whole documents than rows");
      const auto whole = wholes[next_whole++];
      if (copy) put(whole);
    } else {
      for (const Piece& piece : shape_pieces[codes[row] - 1]) {
        if (copy) put(piece.literal);
        if (piece.slot == 0) break;
        if (path_remaining[piece.path]-- == 0) {
          return corrupt("a path has fewer values than slots");
        }
        const auto value = path_values[piece.path].Bytes();
        if (!copy) continue;
        if (piece.slot == kStringSlot) *out++ = '"';
        put(value);
        if (piece.slot == kStringSlot) *out++ = '"';
      }
    }
    ends[row] = static_cast<size_t>(out - text.data());
  }
  text.resize(static_cast<size_t>(out - text.data()));
  if (next_whole != wholes.size()) return corrupt("more whole documents than rows");
  for (size_t path = 0; path < path_values.size(); ++path) {
    if (path_remaining[path] != 0 || !path_values[path].ok() || !path_values[path].done()) {
      return corrupt("a path's values do not match its slots");
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

}  // namespace lp::search::logstore
