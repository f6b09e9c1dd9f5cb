#pragma once

#include <filesystem>

#include "objectstore/object_store.h"

namespace lp::objectstore::local {

/// Objects as files: `<root>/<bucket>/<key>`, metadata beside each in `<key>.meta.json`. A put
/// writes the metadata, then the body, each to a temporary name, fsynced and renamed, so a
/// crash leaves the old object or the new one. Keys ending in `.meta.json` or holding `.tmp-`
/// are therefore not available.
class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(std::filesystem::path root) : root_(std::move(root)) {}

  [[nodiscard]] Result<void> EnsureBucket(std::string_view bucket) override;
  [[nodiscard]] Result<void> Put(std::string_view bucket, std::string_view key,
                                 std::string_view body, const Metadata& metadata) override;
  [[nodiscard]] Result<StoredObject> Get(std::string_view bucket, std::string_view key) override;
  [[nodiscard]] Result<std::vector<std::string>> List(std::string_view bucket,
                                                      std::string_view prefix) override;
  [[nodiscard]] Result<std::vector<std::string>> ListFolders(std::string_view bucket,
                                                             std::string_view prefix) override;

 private:
  [[nodiscard]] Result<std::filesystem::path> PathOf(std::string_view bucket,
                                                     std::string_view key) const;

  const std::filesystem::path root_;
};

}  // namespace lp::objectstore::local
