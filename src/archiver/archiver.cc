#include "archiver/archiver.h"

#include <charconv>
#include <map>
#include <mutex>
#include <optional>

#include "archiver/archive_objects.h"
#include "core/backoff.h"
#include "core/logging.h"

namespace lp::archiver {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kBatchEndMark = "archive-batch-end=";
// When stopping, a failing store gets this many more tries before the batch is left to the next
// run (its records are not committed, so nothing is lost).
constexpr int kAttemptsWhenStopping = 3;

const Logger& Log() {
  static const Logger logger("archiver");
  return logger;
}

std::optional<int64_t> BatchEndOf(const std::string& metadata) {
  if (!metadata.starts_with(kBatchEndMark)) return std::nullopt;
  const std::string_view number = std::string_view(metadata).substr(kBatchEndMark.size());
  int64_t end = 0;
  const auto parsed = std::from_chars(number.data(), number.data() + number.size(), end);
  if (parsed.ec != std::errc{} || parsed.ptr != number.data() + number.size()) return std::nullopt;
  return end;
}

struct PartitionBatch {
  std::vector<queue::ConsumedRecord> records;
  size_t bytes = 0;
  Clock::time_point opened{};
  /// Set when a mark says where this batch must end (a batch begun before a crash or by the
  /// partition's previous owner).
  std::optional<int64_t> forced_end;
};

class Worker {
 public:
  Worker(const ArchiverOptions& options, queue::Consumer& consumer, objectstore::ObjectStore& store,
         ArchiverMetrics& metrics)
      : options_(options),
        consumer_(consumer),
        store_(store),
        metrics_(metrics),
        compressor_(options.compression) {}

  void Add(std::stop_token stop, queue::ConsumedRecord record) {
    const int32_t partition = record.partition;
    auto found = batches_.find(partition);
    if (found != batches_.end() && !found->second.records.empty() &&
        record.offset != found->second.records.back().offset + 1) {
      // The partition was rewound (it moved away and back): start over from its committed state.
      batches_.erase(found);
      found = batches_.end();
    }
    if (found == batches_.end()) found = batches_.emplace(partition, OpenBatch(partition)).first;
    auto& batch = found->second;
    if (batch.records.empty()) batch.opened = Clock::now();
    batch.bytes += record.value.size() + 1;
    batch.records.push_back(std::move(record));
    const int64_t next = batch.records.back().offset + 1;
    const bool full = batch.forced_end ? next >= *batch.forced_end
                                       : batch.records.size() >= options_.batch_size ||
                                             batch.bytes >= options_.batch_max_bytes;
    if (full) Close(stop, partition, 0);
  }

  /// Closes batches open longer than the timeout (idle partitions too); drops those of
  /// partitions this member no longer holds.
  void Tick(std::stop_token stop) {
    const auto assigned = consumer_.Assignment();
    for (auto it = batches_.begin(); it != batches_.end();) {
      if (std::find(assigned.begin(), assigned.end(), it->first) == assigned.end()) {
        it = batches_.erase(it);
      } else {
        ++it;
      }
    }
    const auto now = Clock::now();
    std::vector<int32_t> due;
    for (const auto& [partition, batch] : batches_) {
      if (!batch.records.empty() && !batch.forced_end &&
          now - batch.opened >= options_.batch_timeout) {
        due.push_back(partition);
      }
    }
    for (const int32_t partition : due) Close(stop, partition, 0);
  }

  void Flush(std::stop_token stop) {
    std::vector<int32_t> open;
    for (const auto& [partition, batch] : batches_) {
      if (!batch.records.empty()) open.push_back(partition);
    }
    for (const int32_t partition : open) Close(stop, partition, kAttemptsWhenStopping);
  }

 private:
  PartitionBatch OpenBatch(int32_t partition) {
    PartitionBatch batch;
    auto committed = consumer_.Committed(partition);
    if (!committed) {
      Log().Warn("cannot read the committed offset",
                 {{"partition", std::to_string(partition)}, {"error", committed.error().message}});
    } else if (*committed) {
      const auto end = BatchEndOf((*committed)->metadata);
      if (end && *end > (*committed)->next_offset) batch.forced_end = end;
    }
    return batch;
  }

  // Stores one object, retrying until it works. `max_attempts` 0 means until stopped; otherwise
  // (the final flush, stop already requested) the tries are made regardless of stop.
  bool Upload(std::stop_token stop, const std::string& key, std::string_view body,
              const objectstore::Metadata& metadata, int max_attempts) {
    RetryPolicy policy = options_.retry;
    if (max_attempts > 0) policy.max_attempts = max_attempts;
    RetryChain chain("upload to the archive", policy,
                     max_attempts > 0 ? std::stop_token{} : std::move(stop));
    while (true) {
      auto put = store_.Put(options_.bucket, key, body, metadata);
      if (!put && put.error().error_class == ErrorClass::kNotFound) {
        if (auto created = store_.EnsureBucket(options_.bucket); created) {
          put = store_.Put(options_.bucket, key, body, metadata);
        }
      }
      if (put) {
        if (options_.readiness != nullptr) options_.readiness->SetReady();
        return true;
      }
      metrics_.upload_errors.Increment();
      if (options_.readiness != nullptr) {
        options_.readiness->SetNotReady("archive uploads fail: " + put.error().message);
      }
      if (chain.failures() % 10 == 0) {
        Log().Error("archive upload failed; retrying (nothing is committed until it works)",
                    {{"key", key}, {"error", put.error().message}});
      }
      if (!chain.BackOff()) return false;
    }
  }

  void Close(std::stop_token stop, int32_t partition, int max_attempts) {
    auto& batch = batches_.at(partition);
    const auto started = Clock::now();
    const int64_t first = batch.records.front().offset;
    const int64_t end = batch.records.back().offset + 1;
    if (!batch.forced_end) {
      const queue::OffsetCommit mark{partition, first,
                                     std::string(kBatchEndMark) + std::to_string(end)};
      if (auto marked = consumer_.Commit(std::span(&mark, 1)); !marked) {
        // Most likely the partition moved: its new owner reads these records again.
        Log().Warn("cannot record the batch's end; leaving the batch",
                   {{"partition", std::to_string(partition)}, {"error", marked.error().message}});
        batches_.erase(partition);
        return;
      }
      batch.forced_end = end;
    }
    auto objects = builder_.Build(batch.records, KeySuffix(options_.compression));
    for (const auto& object : objects) {
      auto compressed = compressor_.Compress(object.ndjson);
      if (!compressed) {
        Log().Error("cannot compress a batch", {{"error", compressed.error().message}});
        return;
      }
      if (!Upload(stop, object.key, *compressed, object.metadata, max_attempts)) return;
    }
    const queue::OffsetCommit done{partition, end, ""};
    if (auto committed = consumer_.Commit(std::span(&done, 1)); !committed) {
      // The mark stays, so whoever reads these records next rebuilds the same objects.
      Log().Warn("commit after upload failed",
                 {{"partition", std::to_string(partition)}, {"error", committed.error().message}});
    }
    metrics_.messages_archived.Increment(batch.records.size());
    metrics_.batches_uploaded.Increment();
    metrics_.batch_size_bytes.Observe(static_cast<double>(batch.bytes));
    metrics_.archive_latency.Observe(std::chrono::duration<double>(Clock::now() - started).count());
    batch = PartitionBatch{};
  }

  const ArchiverOptions& options_;
  queue::Consumer& consumer_;
  objectstore::ObjectStore& store_;
  ArchiverMetrics& metrics_;
  Compressor compressor_;
  ArchiveObjectBuilder builder_;
  std::map<int32_t, PartitionBatch> batches_;
};

}  // namespace

Archiver::Archiver(ArchiverOptions options, queue::Queue& queue, objectstore::ObjectStore& store,
                   ArchiverMetrics& metrics, queue::ConsumerLagMetrics& lag_metrics)
    : options_(std::move(options)),
      queue_(queue),
      store_(store),
      metrics_(metrics),
      lag_metrics_(lag_metrics) {}

Archiver::~Archiver() { Stop(); }

Result<void> Archiver::Start() {
  if (auto created = store_.EnsureBucket(options_.bucket); !created) {
    // Not fatal: uploads retry (and create the bucket) until the store takes them.
    Log().Error("cannot create the archive bucket yet",
                {{"bucket", options_.bucket}, {"error", created.error().message}});
  }
  for (size_t i = 0; i < options_.workers; ++i) {
    auto consumer = queue_.Subscribe(options_.group, options_.topic);
    if (!consumer) return tl::unexpected(consumer.error());
    workers_.emplace_back([this, consumer = std::move(*consumer)](std::stop_token stop) mutable {
      Work(stop, std::move(consumer));
    });
  }
  return {};
}

void Archiver::Stop() {
  for (auto& worker : workers_) worker.request_stop();
  workers_.clear();  // Joins.
}

void Archiver::Work(std::stop_token stop, std::unique_ptr<queue::Consumer> consumer) {
  Worker worker(options_, *consumer, store_, metrics_);
  queue::LagReporter lag(lag_metrics_, options_.group);
  while (!stop.stop_requested()) {
    RetryChain polling("poll the queue", options_.retry, stop);
    auto polled = consumer->Poll(options_.batch_size, options_.poll_timeout);
    while (!polled) {
      if (polling.failures() == 0) Log().Error("poll failed", {{"error", polled.error().message}});
      if (!polling.BackOff()) break;
      polled = consumer->Poll(options_.batch_size, options_.poll_timeout);
    }
    if (!polled) break;
    metrics_.messages_consumed.Increment(polled->size());
    lag.Polled(*polled);
    for (auto& record : *polled) worker.Add(stop, std::move(record));
    worker.Tick(stop);
    lag.Report(*consumer);
  }
  worker.Flush(stop);
}

}  // namespace lp::archiver
