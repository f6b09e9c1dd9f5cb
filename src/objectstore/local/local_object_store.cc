#include "objectstore/local/local_object_store.h"

#include <simdjson.h>

#include <algorithm>

#include "core/file_util.h"
#include "core/json_escape.h"

namespace lp::objectstore::local {
namespace {

constexpr std::string_view kMetadataSuffix = ".meta.json";
constexpr std::string_view kTemporaryMark = ".tmp-";

Result<void> CheckBucket(std::string_view bucket) {
  if (bucket.empty() || bucket.find('/') != std::string_view::npos || bucket == "." ||
      bucket == "..") {
    return Permanent("bad bucket name \"" + std::string(bucket) + "\"");
  }
  return {};
}

std::filesystem::path MetadataPath(const std::filesystem::path& object) {
  return object.string() + std::string(kMetadataSuffix);
}

std::string EncodeMetadata(const Metadata& metadata) {
  std::string json = "{";
  for (const auto& [name, value] : metadata) {
    if (json.size() > 1) json.push_back(',');
    json.push_back('"');
    AppendJsonEscaped(json, name);
    json += "\":\"";
    AppendJsonEscaped(json, value);
    json.push_back('"');
  }
  json.push_back('}');
  return json;
}

Result<Metadata> DecodeMetadata(const std::string& json, const std::filesystem::path& path) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json).get_object().get(object) != simdjson::SUCCESS) {
    return Permanent("unreadable object metadata " + path.string());
  }
  Metadata metadata;
  for (const auto field : object) {
    std::string_view value;
    if (field.value.get_string().get(value) != simdjson::SUCCESS) {
      return Permanent("unreadable object metadata " + path.string());
    }
    metadata.emplace(std::string(field.key), std::string(value));
  }
  return metadata;
}

}  // namespace

Result<std::filesystem::path> LocalObjectStore::PathOf(std::string_view bucket,
                                                       std::string_view key) const {
  if (auto checked = CheckBucket(bucket); !checked) return tl::unexpected(checked.error());
  if (auto checked = CheckKey(key); !checked) return tl::unexpected(checked.error());
  if (key.ends_with(kMetadataSuffix) || key.find(kTemporaryMark) != std::string_view::npos) {
    return Permanent("object key \"" + std::string(key) + "\" is reserved by the local store");
  }
  return root_ / std::string(bucket) / std::string(key);
}

Result<void> LocalObjectStore::EnsureBucket(std::string_view bucket) {
  if (auto checked = CheckBucket(bucket); !checked) return checked;
  std::error_code error;
  std::filesystem::create_directories(root_ / std::string(bucket), error);
  if (error) {
    return Retryable("cannot create bucket folder " + (root_ / std::string(bucket)).string() +
                     ": " + error.message());
  }
  return {};
}

Result<void> LocalObjectStore::Put(std::string_view bucket, std::string_view key,
                                   std::string_view body, const Metadata& metadata) {
  auto path = PathOf(bucket, key);
  if (!path) return tl::unexpected(path.error());
  if (!std::filesystem::is_directory(root_ / std::string(bucket))) {
    return NotFound("no bucket " + std::string(bucket) + " under " + root_.string());
  }
  std::error_code error;
  std::filesystem::create_directories(path->parent_path(), error);
  if (error) {
    return Retryable("cannot create " + path->parent_path().string() + ": " + error.message());
  }
  if (auto written = ReplaceFileAtomically(MetadataPath(*path), EncodeMetadata(metadata));
      !written) {
    return written;
  }
  if (auto written = ReplaceFileAtomically(*path, body); !written) {
    return written;
  }
  return {};
}

Result<StoredObject> LocalObjectStore::Get(std::string_view bucket, std::string_view key) {
  auto path = PathOf(bucket, key);
  if (!path) return tl::unexpected(path.error());
  std::error_code error;
  if (!std::filesystem::is_regular_file(*path, error)) {
    return NotFound("no object " + std::string(key) + " in bucket " + std::string(bucket));
  }
  StoredObject object;
  auto body = ReadWholeFile(*path);
  if (!body) return tl::unexpected(body.error());
  object.body = std::move(*body);
  if (std::filesystem::exists(MetadataPath(*path), error)) {
    auto json = ReadWholeFile(MetadataPath(*path));
    if (!json) return tl::unexpected(json.error());
    auto metadata = DecodeMetadata(*json, MetadataPath(*path));
    if (!metadata) return tl::unexpected(metadata.error());
    object.metadata = std::move(*metadata);
  }
  return object;
}

Result<std::vector<std::string>> LocalObjectStore::ListFolders(std::string_view bucket,
                                                               std::string_view prefix) {
  if (auto checked = CheckBucket(bucket); !checked) return tl::unexpected(checked.error());
  if (!prefix.empty() && !prefix.ends_with('/')) {
    return Permanent("a folder prefix must be empty or end in '/', not \"" + std::string(prefix) +
                     "\"");
  }
  const auto folder = root_ / std::string(bucket);
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    return NotFound("no bucket " + std::string(bucket) + " under " + root_.string());
  }
  std::vector<std::string> folders;
  const auto start = folder / std::string(prefix);
  if (!std::filesystem::is_directory(start, error)) return folders;
  for (auto it = std::filesystem::directory_iterator(start, error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (it->is_directory())
      folders.push_back(std::string(prefix) + it->path().filename().string() + "/");
  }
  if (error) return Retryable("cannot list " + start.string() + ": " + error.message());
  std::sort(folders.begin(), folders.end());
  return folders;
}

Result<std::vector<std::string>> LocalObjectStore::List(std::string_view bucket,
                                                        std::string_view prefix) {
  if (auto checked = CheckBucket(bucket); !checked) return tl::unexpected(checked.error());
  const auto folder = root_ / std::string(bucket);
  std::vector<std::string> keys;
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    return NotFound("no bucket " + std::string(bucket) + " under " + root_.string());
  }
  // Only the folders the prefix can reach are walked: a day's prefix reads one folder.
  const auto slash = prefix.rfind('/');
  const auto start =
      slash == std::string_view::npos ? folder : folder / std::string(prefix.substr(0, slash));
  if (!std::filesystem::is_directory(start, error)) return keys;
  for (auto it = std::filesystem::recursive_directory_iterator(start, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file()) continue;
    std::string key = std::filesystem::relative(it->path(), folder).generic_string();
    if (key.ends_with(kMetadataSuffix) || key.find(kTemporaryMark) != std::string::npos) continue;
    if (key.starts_with(prefix)) keys.push_back(std::move(key));
  }
  if (error) return Retryable("cannot list " + start.string() + ": " + error.message());
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace lp::objectstore::local
