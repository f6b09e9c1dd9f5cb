#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/result.h"
#include "queue/queue.h"

namespace lp::queue::spool {

/// Consumer groups' committed positions, one file per group (`<group>.offsets`), each replaced
/// atomically on commit. A group is registered on a topic when it first subscribes; registered
/// groups protect unconsumed records from size-based reclamation. Thread-safe.
class OffsetStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<OffsetStore>> Open(std::filesystem::path directory);

  [[nodiscard]] Result<void> Register(const std::string& group, const std::string& topic);
  [[nodiscard]] Result<void> Commit(const std::string& group, const std::string& topic,
                                    std::span<const OffsetCommit> commits);
  [[nodiscard]] std::optional<CommittedOffset> Get(const std::string& group,
                                                   const std::string& topic,
                                                   int32_t partition) const;
  /// The lowest next offset any registered group on `topic` still needs from `partition`
  /// (`start` for a group that has not committed it); nothing when no group is registered.
  /// Each group registered on `topic` with the next offset it needs from `partition` (`start`
  /// for a group that has not committed it).
  [[nodiscard]] std::vector<std::pair<std::string, int64_t>> Needs(const std::string& topic,
                                                                   int32_t partition,
                                                                   int64_t start) const;
  /// The highest next offset any group committed on `topic`'s `partition`; 0 when none did.
  [[nodiscard]] int64_t HighestCommitted(const std::string& topic, int32_t partition) const;
  [[nodiscard]] std::optional<int64_t> LowestNeeded(const std::string& topic, int32_t partition,
                                                    int64_t start) const;

 private:
  explicit OffsetStore(std::filesystem::path directory) : directory_(std::move(directory)) {}
  [[nodiscard]] Result<void> Load();
  [[nodiscard]] Result<void> Persist(const std::string& group);

  using Key = std::tuple<std::string, int32_t>;  // topic, partition
  struct Group {
    std::map<std::string, bool> topics;
    std::map<Key, CommittedOffset> offsets;
  };

  const std::filesystem::path directory_;
  mutable std::mutex mutex_;
  std::map<std::string, Group> groups_;
};

/// Group and topic names become file names: letters, digits, '.', '_', '-'; at most 200 bytes.
[[nodiscard]] bool IsValidName(std::string_view name);

}  // namespace lp::queue::spool
