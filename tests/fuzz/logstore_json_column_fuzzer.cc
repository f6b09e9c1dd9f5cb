// libFuzzer target for the log store's json column (src/search/logstore/json_column.cc), both
// ways: the input's lines, written as a block's documents, must come back byte for byte, and
// each value read straight from the column (ReadJsonLeaves) must be what a JSON parser finds in
// the document; and the input itself, read as an encoded column, must decode or fail with an
// error, never crash.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "search/logstore/json_column.h"

namespace {

using lp::search::logstore::JsonLeaf;
using Path = std::vector<std::string>;

// Every path to a scalar or a container in `element`, a few levels deep.
void CollectPaths(simdjson::dom::element element, Path& path, std::vector<Path>& paths) {
  if (path.size() > 4 || paths.size() > 16) return;
  simdjson::dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) return;
  for (const auto field : object) {
    path.emplace_back(field.key);
    paths.push_back(path);
    CollectPaths(field.value, path, paths);
    path.pop_back();
  }
}

// What a parser finds at `path` in `document` (the first of repeated keys), in the terms of a
// leaf read from the column: its kind and its text, unescaped.
std::optional<std::string> Expected(simdjson::dom::element document, const Path& path) {
  simdjson::dom::element value = document;
  for (const auto& key : path) {
    simdjson::dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;
    bool found = false;
    for (const auto field : object) {
      if (field.key == key) {
        value = field.value;
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  if (value.is_object() || value.is_array()) return std::nullopt;
  if (value.is_string()) return "s" + std::string(value.get_string().value());
  return "b" + simdjson::minify(value);
}

std::optional<std::string> Read(const JsonLeaf& leaf, simdjson::dom::parser& parser) {
  switch (leaf.kind) {
    case JsonLeaf::Kind::kMissing:
      return std::nullopt;
    case JsonLeaf::Kind::kBare: {
      // The stored token, normalized as the parser prints it.
      simdjson::dom::element element;
      if (parser.parse(std::string(leaf.text)).get(element) != simdjson::SUCCESS) std::abort();
      return "b" + simdjson::minify(element);
    }
    case JsonLeaf::Kind::kString: {
      simdjson::dom::element element;
      if (parser.parse('"' + std::string(leaf.text) + '"').get(element) != simdjson::SUCCESS) {
        std::abort();
      }
      return "s" + std::string(element.get_string().value());
    }
  }
  std::abort();
}

}  // namespace

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
  const std::string encoded = writer.Finish().value();
  std::string text;
  std::vector<std::string_view> views;
  if (!DecodeJsonColumn(encoded, documents.size(), text, views)) std::abort();
  if (views != documents) std::abort();

  // Values read from the column against a parser's, for documents that are valid JSON.
  simdjson::dom::parser parser;
  simdjson::dom::parser leaf_parser;
  std::vector<std::string> valid;
  std::vector<Path> paths;
  for (const auto document : documents) {
    simdjson::dom::element element;
    if (parser.parse(std::string(document)).get(element) != simdjson::SUCCESS) continue;
    valid.emplace_back(document);
    Path path;
    CollectPaths(element, path, paths);
  }
  JsonColumnWriter valid_writer;
  for (const auto& document : valid) valid_writer.Add(document);
  const std::string valid_encoded = valid_writer.Finish().value();
  std::vector<std::vector<JsonLeaf>> leaves;
  std::deque<std::string> storage;
  const auto read = ReadJsonLeaves(valid_encoded, valid.size(), JsonColumnLayout::kFramed, paths,
                                   leaves, storage);
  if (!read) std::abort();
  if (*read) {
    for (size_t row = 0; row < valid.size(); ++row) {
      simdjson::dom::element element;
      if (parser.parse(valid[row]).get(element) != simdjson::SUCCESS) std::abort();
      for (size_t p = 0; p < paths.size(); ++p) {
        if (Expected(element, paths[p]) != Read(leaves[p][row], leaf_parser)) std::abort();
      }
    }
  }

  const size_t rows = size == 0 ? 0 : data[0] % 64;
  for (const auto layout : {JsonColumnLayout::kInline, JsonColumnLayout::kFramed}) {
    (void)DecodeJsonColumn(input, rows, text, views, layout);
    (void)ReadJsonLeaves(input, rows, layout, paths, leaves, storage);
  }
  return 0;
}
