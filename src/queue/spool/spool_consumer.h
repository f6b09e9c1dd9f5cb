#pragma once

#include <map>
#include <memory>
#include <string>

#include "queue/queue.h"
#include "queue/spool/partition_reader.h"
#include "queue/spool/spool.h"

namespace lp::queue::spool {

/// A member of a consumer group on a spool topic. Joins the group on construction and leaves it
/// on destruction; picks up partition moves at the next Poll. Not thread-safe.
class SpoolConsumer final : public Consumer {
 public:
  SpoolConsumer(Spool& spool, Spool::Topic& topic, std::string group);
  ~SpoolConsumer() override;

  [[nodiscard]] Result<std::vector<ConsumedRecord>> Poll(
      size_t max_records, std::chrono::milliseconds timeout) override;
  [[nodiscard]] Result<void> Commit(std::span<const OffsetCommit> commits) override;
  [[nodiscard]] Result<std::optional<CommittedOffset>> Committed(int32_t partition) override;
  [[nodiscard]] Result<void> Seek(int32_t partition, int64_t offset) override;
  [[nodiscard]] std::vector<int32_t> Assignment() override;
  [[nodiscard]] Result<std::vector<PartitionLag>> Lag() override;

 private:
  void RefreshAssignment();

  Spool& spool_;
  Spool::Topic& topic_;
  const std::string group_;
  const uint64_t member_;
  uint64_t generation_ = 0;
  std::map<int32_t, std::unique_ptr<PartitionReader>> readers_;
  size_t next_partition_index_ = 0;  // Round-robin start, so no partition starves.
};

}  // namespace lp::queue::spool
