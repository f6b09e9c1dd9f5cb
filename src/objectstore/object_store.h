#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lp::objectstore {

/// User metadata of an object: lower-case names of letters, digits and '-'; ASCII values.
using Metadata = std::map<std::string, std::string>;

struct StoredObject {
  std::string body;
  Metadata metadata;
};

/// The object store seam: a local folder and S3 implement it, and both pass the same contract
/// tests. Keys are '/'-separated paths without empty, "." or ".." segments. Errors are
/// retryable (unreachable, timeouts, 5xx), permanent (refused: credentials, region, bad key), or
/// kNotFound. Thread-safe.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  /// Creates the bucket unless it exists.
  [[nodiscard]] virtual Result<void> EnsureBucket(std::string_view bucket) = 0;
  /// Stores the object whole, replacing any object of that key: a reader sees the old or the new
  /// object, never part of one. Durable once it returns.
  [[nodiscard]] virtual Result<void> Put(std::string_view bucket, std::string_view key,
                                         std::string_view body, const Metadata& metadata) = 0;
  [[nodiscard]] virtual Result<StoredObject> Get(std::string_view bucket, std::string_view key) = 0;
  /// Every key that starts with `prefix`, sorted.
  [[nodiscard]] virtual Result<std::vector<std::string>> List(std::string_view bucket,
                                                              std::string_view prefix) = 0;
  /// The folders directly under `prefix` (empty, or ending in '/'): the distinct next path
  /// segments of the keys below it, each ending in '/', sorted. Lets a caller walk
  /// `YYYY/MM/DD/` without asking for every day of a range.
  [[nodiscard]] virtual Result<std::vector<std::string>> ListFolders(std::string_view bucket,
                                                                     std::string_view prefix) = 0;
};

/// Whether `key` is one the seam accepts; the error says why not.
[[nodiscard]] Result<void> CheckKey(std::string_view key);

}  // namespace lp::objectstore
