#include "queue/spool/spool_consumer.h"

#include <algorithm>

namespace lp::queue::spool {

SpoolConsumer::SpoolConsumer(Spool& spool, Spool::Topic& topic, std::string group)
    : spool_(spool),
      topic_(topic),
      group_(std::move(group)),
      member_(spool.membership().Join(group_, topic.name,
                                      static_cast<int32_t>(topic.partitions.size()))) {}

SpoolConsumer::~SpoolConsumer() { spool_.membership().Leave(member_); }

void SpoolConsumer::RefreshAssignment() {
  const auto assignment = spool_.membership().AssignmentOf(member_);
  if (assignment.generation == generation_) return;
  generation_ = assignment.generation;
  std::map<int32_t, std::unique_ptr<PartitionReader>> readers;
  for (const int32_t partition : assignment.partitions) {
    auto kept = readers_.find(partition);
    if (kept != readers_.end()) {
      readers[partition] = std::move(kept->second);
      continue;
    }
    const auto& log = *topic_.partitions[static_cast<size_t>(partition)];
    const auto committed = spool_.offsets().Get(group_, topic_.name, partition);
    const int64_t start = committed ? committed->next_offset : log.StartOffset();
    readers[partition] = std::make_unique<PartitionReader>(
        log, topic_.name, partition, start, &spool_.corrupt_tails(), &spool_.damaged_records());
  }
  readers_ = std::move(readers);
}

Result<std::vector<ConsumedRecord>> SpoolConsumer::Poll(size_t max_records,
                                                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<ConsumedRecord> out;
  while (true) {
    // Taken before reading so that data arriving during the read wakes the wait below.
    const uint64_t seen_version = spool_.data_version();
    RefreshAssignment();
    if (!readers_.empty()) {
      const size_t count = readers_.size();
      auto it = readers_.begin();
      std::advance(it, static_cast<long>(next_partition_index_ % count));
      for (size_t i = 0; i < count && out.size() < max_records; ++i) {
        if (auto read = it->second->Read(max_records - out.size(), out); !read) {
          return tl::unexpected(read.error());
        }
        if (++it == readers_.end()) it = readers_.begin();
      }
      next_partition_index_ = (next_partition_index_ + 1) % count;
    }
    if (!out.empty() || std::chrono::steady_clock::now() >= deadline) return out;
    spool_.WaitForData(seen_version, deadline);
  }
}

Result<void> SpoolConsumer::Commit(std::span<const OffsetCommit> commits) {
  RefreshAssignment();
  for (const auto& commit : commits) {
    if (!readers_.contains(commit.partition)) {
      return Permanent("partition " + std::to_string(commit.partition) +
                       " is not assigned to this member of group " + group_);
    }
  }
  return spool_.offsets().Commit(group_, topic_.name, commits);
}

Result<std::optional<CommittedOffset>> SpoolConsumer::Committed(int32_t partition) {
  return spool_.offsets().Get(group_, topic_.name, partition);
}

Result<void> SpoolConsumer::Seek(int32_t partition, int64_t offset) {
  RefreshAssignment();
  const auto reader = readers_.find(partition);
  if (reader == readers_.end()) {
    return Permanent("partition " + std::to_string(partition) + " is not assigned");
  }
  reader->second->Seek(offset);
  return {};
}

std::vector<int32_t> SpoolConsumer::Assignment() {
  RefreshAssignment();
  std::vector<int32_t> partitions;
  for (const auto& [partition, reader] : readers_) partitions.push_back(partition);
  return partitions;
}

Result<std::vector<PartitionLag>> SpoolConsumer::Lag() {
  RefreshAssignment();
  std::vector<PartitionLag> lags;
  for (const auto& [partition, reader] : readers_) {
    const auto& log = *topic_.partitions[static_cast<size_t>(partition)];
    const auto committed = spool_.offsets().Get(group_, topic_.name, partition);
    const int64_t position = committed ? committed->next_offset : log.StartOffset();
    const int64_t end = log.VisibleEnd().next_offset;
    lags.push_back({partition, std::max<int64_t>(0, end - position), position, end});
  }
  return lags;
}

}  // namespace lp::queue::spool
