#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/file_util.h"
#include "core/metrics.h"
#include "queue/queue.h"
#include "queue/spool/group_membership.h"
#include "queue/spool/offset_store.h"
#include "queue/spool/partition_log.h"

namespace lp::queue::spool {

enum class FsyncPolicy {
  kAlways,    ///< Acknowledge only after fdatasync (group commit): survives power loss.
  kInterval,  ///< Acknowledge after write(2); fdatasync in the background every interval.
  kNever,     ///< Acknowledge after write(2); leave flushing to the kernel.
};

struct SpoolOptions {
  std::filesystem::path directory{};
  int32_t partitions = 8;
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  std::chrono::milliseconds fsync_interval{1000};
  uint64_t segment_bytes = 64ULL * 1024 * 1024;
  uint64_t max_bytes = 10ULL * 1024 * 1024 * 1024;
  std::chrono::milliseconds retention = std::chrono::hours(24 * 7);
  std::chrono::milliseconds maintenance_interval{10'000};
};

/// The embedded queue: topics of partitions of segment files under one folder, consumer groups
/// with committed offsets, retention by age and size (never deleting what a registered group
/// still needs), backpressure when full. One process owns a spool folder at a time (flock).
///
/// Thread-safe. Owns a flusher thread (fsync policy) and a maintenance thread (retention).
/// Consumers it hands out must be destroyed before it.
class Spool final : public Queue {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Spool>> Open(SpoolOptions options,
                                                           metrics::Registry& registry);
  ~Spool() override;

  void Produce(std::string_view topic, std::span<const OutgoingRecord> records,
               ProduceCallback done) override;
  [[nodiscard]] Result<std::unique_ptr<Consumer>> Subscribe(std::string group,
                                                            std::string topic) override;
  [[nodiscard]] Result<void> CheckReady() override;

  /// Flushes, answers every pending produce and stops the threads. Idempotent.
  void Stop();
  /// Runs retention now (normally periodic); returns the bytes freed.
  uint64_t ReclaimSpace();

  [[nodiscard]] uint64_t SizeBytes() const { return size_bytes_.load(); }

  struct Topic {
    std::string name;
    std::vector<std::unique_ptr<PartitionLog>> partitions;
  };

  // For SpoolConsumer.
  [[nodiscard]] GroupMembership& membership() { return membership_; }
  [[nodiscard]] OffsetStore& offsets() { return *offsets_; }
  /// Waits until new data may be visible, the version moved, or the deadline passed.
  void WaitForData(uint64_t seen_version, std::chrono::steady_clock::time_point deadline);
  [[nodiscard]] uint64_t data_version() const { return data_version_.load(); }
  [[nodiscard]] metrics::Counter& corrupt_tails() { return metrics_.corrupt_tails; }
  [[nodiscard]] metrics::Counter& damaged_records() { return metrics_.damaged_records; }

 private:
  struct Metrics {
    explicit Metrics(metrics::Registry& registry);
    metrics::Gauge& bytes;
    metrics::Counter& full_rejections;
    metrics::Counter& reclaimed_bytes;
    metrics::Histogram& fsync_latency;
    metrics::Counter& corrupt_tails;
    metrics::Counter& damaged_records;
    metrics::Counter& write_failures;
    metrics::Counter& records_lost;
    metrics::Counter& offsets_skipped;
    metrics::Family<metrics::Counter>& unconsumed_deleted;
  };
  struct PendingAck {
    ProduceCallback done;
  };

  Spool(SpoolOptions options, metrics::Registry& registry)
      : options_(std::move(options)), metrics_(registry) {}

  [[nodiscard]] Result<void> Initialize();
  [[nodiscard]] Result<Topic*> GetOrCreateTopic(std::string_view name);
  /// Logs and counts what opening a partition recovered from, and moves its end past every
  /// offset a consumer group committed, so no offset is handed out twice.
  [[nodiscard]] Result<void> CheckRecoveredPartition(const std::string& topic, int32_t partition,
                                                     PartitionLog& log);
  [[nodiscard]] Result<void> SyncAll();
  void NotifyData();
  void ReportUnconsumedDeletions(const std::string& topic, int32_t partition,
                                 const std::vector<PartitionLog::DeletedRange>& ranges);
  void FlusherLoop(std::stop_token stop);
  void MaintenanceLoop(std::stop_token stop);
  [[nodiscard]] std::vector<Topic*> AllTopics() const;

  const SpoolOptions options_;
  Metrics metrics_;
  UniqueFd lock_fd_;
  std::unique_ptr<OffsetStore> offsets_;
  GroupMembership membership_;

  mutable std::shared_mutex topics_mutex_;
  std::map<std::string, std::unique_ptr<Topic>, std::less<>> topics_;
  std::atomic<uint64_t> size_bytes_{0};
  /// Set when a produce was refused for space; cleared by the next success or reclamation.
  std::atomic<bool> full_{false};
  /// Set when writing a segment failed (disk full, I/O error); cleared by the next success.
  std::atomic<bool> write_failing_{false};
  std::mutex write_error_mutex_;
  std::string write_error_;

  std::mutex data_mutex_;
  std::condition_variable data_changed_;
  std::atomic<uint64_t> data_version_{0};

  std::mutex flush_mutex_;
  std::condition_variable_any flush_wanted_;
  std::vector<PendingAck> pending_acks_;

  std::mutex maintenance_mutex_;
  std::condition_variable_any maintenance_wanted_;
  bool maintenance_requested_ = false;
  uint64_t unreported_reclaimed_bytes_ = 0;
  std::chrono::steady_clock::time_point last_reclaim_report_{};

  std::atomic<bool> stopped_{false};
  std::jthread flusher_;
  std::jthread maintenance_;
};

[[nodiscard]] std::optional<FsyncPolicy> ParseFsyncPolicy(std::string_view text);

}  // namespace lp::queue::spool
