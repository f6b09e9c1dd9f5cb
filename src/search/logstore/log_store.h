#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/metrics.h"
#include "search/logstore/manifest.h"
#include "search/logstore/part.h"
#include "search/search_store.h"

namespace lp::search::logstore {

struct LogStoreOptions {
  std::filesystem::path directory;
  /// The buffer is written as a part at least this often, and sooner when it holds flush_bytes.
  std::chrono::milliseconds flush_interval{1000};
  size_t flush_bytes = 32 << 20;
  /// Write refuses (retryable) while the buffer holds more than this: parts cannot be written
  /// (disk full), so the processor stops and the queue fills instead of memory.
  size_t max_buffer_bytes = 64 << 20;
  /// Background merging starts when there are more parts than this.
  size_t merge_above_parts = 6;
  size_t max_merge_parts = 8;
  uint64_t max_part_rows = 8'000'000;
  /// Retention by size: the oldest-arrived parts are dropped while the parts hold more (0: none).
  uint64_t retention_bytes = 0;
  PartWriter::Options flush_part{.zstd_level = 1};
  PartWriter::Options merged_part{.zstd_level = 3};
  /// Arrival time of written documents (retention counts from it); injectable for tests.
  std::function<int64_t()> clock_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  /// Flushes and merges on a thread of the store's own; off in tests that drive them.
  bool background = true;
};

/// Series of the log store, registered once.
struct LogStoreMetrics {
  explicit LogStoreMetrics(metrics::Registry& registry);
  metrics::Counter& parts_written;
  metrics::Counter& flush_errors;
  metrics::Counter& merges;
  metrics::Counter& merge_errors;
  metrics::Counter& corrupt_parts;
  metrics::Family<metrics::Counter>& retention_dropped;
  metrics::Counter& retention_dropped_age;
  metrics::Counter& retention_dropped_bytes;
  metrics::Gauge& parts;
  metrics::Gauge& part_bytes;
  metrics::Gauge& buffer_bytes;
};

/// logpipe's embedded log store (README.md draws the files): documents are buffered in memory,
/// searchable at once, and written every flush_interval as an immutable part of time-ordered,
/// column-compressed blocks with summaries (time range, level counts, a bloom filter of the
/// message's tokens) that let queries skip blocks; small parts are merged in the background.
/// `MANIFEST` lists the parts and the queue offsets durable with them; the queue is the
/// write-ahead log, so the store has no journal: what was not in a part when the process died
/// is read again from the queue (Checkpoint / ResumeOffset).
///
/// Upsert by id: a write looks the id up in the buffer (a hash map) and in the parts (offset
/// ranges of `<topic>-<partition>-<offset>` ids, then the part's and its blocks' bloom filters of
/// every id; any string works), and marks the older row deleted; deletions are listed in the
/// MANIFEST with the part written in the same flush, and merges drop them.
///
/// Threads: any thread may call the SearchStore methods. Readers take an immutable snapshot
/// (shared_ptr lists) and hold no lock while they search; writers never wait for readers.
/// The background thread flushes, merges and enforces retention_bytes.
class LogStore final : public SearchStore {
 public:
  /// Opens (or creates) the store: reads MANIFEST, deletes leftovers of a crash, opens and
  /// verifies every part (checksums); a corrupt or missing part is set aside (renamed
  /// `<name>.corrupt`), counted, logged, and its partitions' resume offsets moved back so the
  /// queue delivers its events again.
  [[nodiscard]] static Result<std::unique_ptr<LogStore>> Open(LogStoreOptions options,
                                                              LogStoreMetrics& metrics);
  /// The same, registering the store's series in `registry` (once per registry).
  [[nodiscard]] static Result<std::unique_ptr<LogStore>> Open(LogStoreOptions options,
                                                              metrics::Registry& registry);
  ~LogStore() override;

  [[nodiscard]] Result<std::vector<DocumentOutcome>> Write(
      std::span<const SearchDocument> documents) override;
  [[nodiscard]] Result<SearchPage> Search(const SearchQuery& query) override;
  [[nodiscard]] Result<SearchHit> Get(std::string_view id) override;
  [[nodiscard]] Result<std::vector<HistogramBucket>> Histogram(
      const SearchQuery& query, const HistogramRequest& request) override;
  [[nodiscard]] Result<Facets> Facet(const SearchQuery& query, std::string_view field,
                                     size_t size) override;
  /// Drops whole parts whose every document arrived before `before_ms`.
  [[nodiscard]] Result<uint64_t> DeleteArrivedBefore(int64_t before_ms) override;
  [[nodiscard]] Result<std::vector<SourceOffset>> Checkpoint(
      std::span<const SourceOffset> handled) override;
  [[nodiscard]] std::optional<int64_t> ResumeOffset(int32_t partition) override;

  /// Writes the buffer as a part now (with the offsets checkpointed so far).
  [[nodiscard]] Result<void> Flush();
  /// Merges some small parts if there are more than merge_above_parts (or `force` and >= 2);
  /// false when there was nothing to merge.
  [[nodiscard]] Result<bool> MergeOnce(bool force = false);
  /// Stops the background thread and flushes what is buffered. Idempotent.
  void Stop();

  [[nodiscard]] size_t PartCount() const;

  struct Chunk;
  struct State;

 private:
  struct PartRecord {
    std::shared_ptr<const Part> part;
    PartEntry entry;
    std::shared_ptr<const std::vector<uint32_t>> deleted;  // Same rows as entry.deleted.
  };
  struct ChunkRecord {
    std::shared_ptr<const Chunk> chunk;
    uint64_t serial = 0;
    std::shared_ptr<const std::vector<uint32_t>> deleted;
  };
  struct BufferLocation {
    uint64_t chunk_serial;
    uint32_t row;
  };

  LogStore(LogStoreOptions options, LogStoreMetrics& metrics);
  [[nodiscard]] Result<void> Load();
  void Run(std::stop_token stop);
  // All under write_mutex_.
  [[nodiscard]] Result<void> RemoveExistingLocked(
      std::string_view id, const Chunk& pending, std::vector<ChunkRecord>& chunks,
      std::vector<uint32_t>& new_chunk_deleted,
      std::vector<std::pair<const Part*, uint32_t>>& part_deletions);
  [[nodiscard]] Result<void> WriteManifestLocked();
  void PublishLocked();
  void DropPartsLocked(std::vector<size_t> indexes, metrics::Counter& counter,
                       uint64_t& dropped_rows);
  void EnforceSizeLocked();
  [[nodiscard]] std::shared_ptr<const State> Snapshot() const;

  const LogStoreOptions options_;
  std::unique_ptr<LogStoreMetrics> owned_metrics_;
  LogStoreMetrics& metrics_;

  std::mutex flush_mutex_;  // One flush at a time.
  std::mutex merge_mutex_;  // One merge at a time.

  mutable std::mutex write_mutex_;
  std::vector<PartRecord> parts_;
  std::vector<ChunkRecord> chunks_;
  // Ids of the buffer that are not of the `<topic>-<partition>-<offset>` form, by hash. Those
  // of that form (nearly all) are found through the chunks' offset ranges instead: a new one is
  // past every offset written and needs no lookup at all.
  std::unordered_multimap<uint64_t, BufferLocation> buffer_ids_;
  std::map<std::string, int64_t, std::less<>> buffer_max_offsets_;
  std::map<int32_t, int64_t> handled_;  // Checkpointed, not yet durable.
  std::map<int32_t, int64_t> durable_;
  uint64_t next_seq_ = 1;
  uint64_t next_part_ = 1;
  uint64_t next_chunk_serial_ = 1;
  size_t buffer_bytes_ = 0;
  std::string last_flush_error_;

  mutable std::mutex state_mutex_;
  std::shared_ptr<const State> state_;

  std::mutex wake_mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;
  bool stopped_ = false;
};

}  // namespace lp::search::logstore
