#include "queue/spool/spool.h"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "core/logging.h"
#include "core/murmur2.h"
#include "core/units.h"
#include "queue/spool/record_format.h"
#include "queue/spool/spool_consumer.h"

namespace lp::queue::spool {
namespace {

constexpr std::string_view kGroupsDirectory = "__groups";

const Logger& Log() {
  static const Logger logger("spool");
  return logger;
}

std::optional<int32_t> ParsePartitionDirectory(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  int32_t partition = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), partition);
  if (error != std::errc{} || end != name.data() + name.size() || partition < 0) {
    return std::nullopt;
  }
  return partition;
}

}  // namespace

std::optional<FsyncPolicy> ParseFsyncPolicy(std::string_view text) {
  if (text == "always") return FsyncPolicy::kAlways;
  if (text == "interval") return FsyncPolicy::kInterval;
  if (text == "never") return FsyncPolicy::kNever;
  return std::nullopt;
}

Spool::Metrics::Metrics(metrics::Registry& registry)
    : bytes(registry.AddGauge("spool_bytes", "Bytes of segment files held by the spool.")
                .WithLabels({})),
      full_rejections(registry
                          .AddCounter("spool_full_rejections_total",
                                      "Produce calls refused because the spool was at its size "
                                      "limit with unconsumed records.")
                          .WithLabels({})),
      reclaimed_bytes(registry
                          .AddCounter("spool_reclaimed_bytes_total",
                                      "Bytes of segments deleted by retention (consumed by every "
                                      "group, or past the age limit).")
                          .WithLabels({})),
      fsync_latency(registry
                        .AddHistogram("spool_fsync_duration_seconds",
                                      "Time to make appended records durable, per flush.",
                                      metrics::LatencyBuckets())
                        .WithLabels({})),
      corrupt_tails(registry
                        .AddCounter("spool_corrupt_tails_skipped_total",
                                    "Segment tails skipped by readers because a record failed its "
                                    "checksum (left by a power loss before an fsync).")
                        .WithLabels({})),
      damaged_records(registry
                          .AddCounter("spool_damaged_records_skipped_total",
                                      "Records skipped by readers because their contents fail "
                                      "the checksum (each consumer group counts them).")
                          .WithLabels({})),
      write_failures(registry
                         .AddCounter("spool_write_failures_total",
                                     "Produce calls refused because writing a segment failed "
                                     "(disk full, I/O error); nothing of them was kept.")
                         .WithLabels({})),
      records_lost(registry
                       .AddCounter("spool_records_lost_total",
                                   "Records found unreadable at start: damaged records kept as "
                                   "holes, and records in a tail cut off where the framing broke.")
                       .WithLabels({})),
      offsets_skipped(registry
                          .AddCounter("spool_offsets_skipped_total",
                                      "Offsets never handed out because records at them may "
                                      "have been read before a cut tail, or a consumer group "
                                      "committed past the partition's end.")
                          .WithLabels({})),
      unconsumed_deleted(registry.AddCounter(
          "spool_unconsumed_records_deleted_total",
          "Records deleted by age retention (SPOOL_RETENTION) before a consumer group read them, "
          "by group.",
          {"group"})) {}

Result<std::unique_ptr<Spool>> Spool::Open(SpoolOptions options, metrics::Registry& registry) {
  std::unique_ptr<Spool> spool(new Spool(std::move(options), registry));
  if (auto initialized = spool->Initialize(); !initialized) {
    return tl::unexpected(initialized.error());
  }
  return spool;
}

Result<void> Spool::Initialize() {
  std::error_code error;
  std::filesystem::create_directories(options_.directory, error);
  if (error) {
    return Permanent("cannot create spool folder " + options_.directory.string() + ": " +
                     error.message());
  }
  auto lock = OpenFile(options_.directory / "LOCK", O_RDWR | O_CREAT);
  if (!lock) return tl::unexpected(lock.error());
  if (::flock(lock->get(), LOCK_EX | LOCK_NB) != 0) {
    return Permanent("spool folder " + options_.directory.string() +
                     " is in use by another logpipe process");
  }
  lock_fd_ = std::move(*lock);

  auto offsets = OffsetStore::Open(options_.directory / kGroupsDirectory);
  if (!offsets) return tl::unexpected(offsets.error());
  offsets_ = std::move(*offsets);

  for (const auto& entry : std::filesystem::directory_iterator(options_.directory, error)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name == kGroupsDirectory || !IsValidName(name)) continue;
    if (auto topic = GetOrCreateTopic(name); !topic) return tl::unexpected(topic.error());
  }
  if (error)
    return Permanent("cannot list " + options_.directory.string() + ": " + error.message());

  if (options_.fsync != FsyncPolicy::kNever) {
    flusher_ = std::jthread([this](std::stop_token stop) { FlusherLoop(stop); });
  }
  maintenance_ = std::jthread([this](std::stop_token stop) { MaintenanceLoop(stop); });
  Log().Info("opened", {{"folder", options_.directory.string()},
                        {"bytes", std::to_string(size_bytes_.load())},
                        {"limit", FormatByteSize(options_.max_bytes)}});
  return {};
}

Spool::~Spool() { Stop(); }

void Spool::Stop() {
  if (stopped_.exchange(true)) return;
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  if (maintenance_.joinable()) {
    maintenance_.request_stop();
    maintenance_.join();
  }
  // Whatever the flusher did not get to: make it durable and answer it.
  auto synced = SyncAll();
  std::vector<PendingAck> acks;
  {
    std::lock_guard lock(flush_mutex_);
    acks.swap(pending_acks_);
  }
  for (auto& ack : acks) ack.done(synced);
  NotifyData();
}

Result<Spool::Topic*> Spool::GetOrCreateTopic(std::string_view name) {
  {
    std::shared_lock lock(topics_mutex_);
    if (const auto found = topics_.find(name); found != topics_.end()) return found->second.get();
  }
  if (!IsValidName(name)) {
    return Permanent("invalid topic name \"" + std::string(name) + "\"");
  }
  std::unique_lock lock(topics_mutex_);
  if (const auto found = topics_.find(name); found != topics_.end()) return found->second.get();

  const auto directory = options_.directory / std::string(name);
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return Permanent("cannot create " + directory.string() + ": " + error.message());
  int32_t existing = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    if (const auto partition = ParsePartitionDirectory(entry.path())) {
      existing = std::max(existing, *partition + 1);
    }
  }
  // Keys must keep mapping to the same partitions, so a topic keeps the count it was made with.
  const int32_t count = existing > 0 ? existing : options_.partitions;
  if (existing > 0 && existing != options_.partitions) {
    Log().Warn("topic keeps its partition count",
               {{"topic", std::string(name)},
                {"partitions", std::to_string(existing)},
                {"configured", std::to_string(options_.partitions)}});
  }
  auto topic = std::make_unique<Topic>();
  topic->name = std::string(name);
  const PartitionLog::Options log_options{
      .segment_bytes = options_.segment_bytes,
      .expose_after_sync = options_.fsync == FsyncPolicy::kAlways,
      .syncs = options_.fsync != FsyncPolicy::kNever};
  for (int32_t partition = 0; partition < count; ++partition) {
    auto log = PartitionLog::Open(directory / std::to_string(partition), log_options);
    if (!log) return tl::unexpected(log.error());
    if (auto checked = CheckRecoveredPartition(std::string(name), partition, **log); !checked) {
      return tl::unexpected(checked.error());
    }
    size_bytes_.fetch_add((*log)->SizeBytes());
    topic->partitions.push_back(std::move(*log));
  }
  metrics_.bytes.Set(static_cast<double>(size_bytes_.load()));
  auto* raw = topic.get();
  topics_.emplace(topic->name, std::move(topic));
  return raw;
}

Result<void> Spool::CheckRecoveredPartition(const std::string& topic, int32_t partition,
                                            PartitionLog& log) {
  const RecoveryReport& report = log.recovery();
  if (report.damaged_records > 0) {
    std::string positions;
    for (const auto position : report.damaged_positions) {
      positions.append(positions.empty() ? "" : ",").append(std::to_string(position));
    }
    Log().Error("damaged records skipped: their checksums fail; the records around them are kept",
                {{"topic", topic},
                 {"partition", std::to_string(partition)},
                 {"segment", report.segment.string()},
                 {"records", std::to_string(report.damaged_records)},
                 {"byte_positions", positions}});
    metrics_.records_lost.Increment(static_cast<uint64_t>(report.damaged_records));
  }
  if (report.cut_bytes > 0) {
    Log().Error("segment tail cut off where its framing broke: the records in it are lost",
                {{"topic", topic},
                 {"partition", std::to_string(partition)},
                 {"segment", report.segment.string()},
                 {"byte_position", std::to_string(report.cut_position)},
                 {"bytes", std::to_string(report.cut_bytes)},
                 {"records", std::to_string(report.cut_records)},
                 {"offsets_skipped",
                  std::to_string(report.skipped_from) + ".." + std::to_string(report.skipped_to)}});
    metrics_.records_lost.Increment(static_cast<uint64_t>(report.cut_records));
    metrics_.offsets_skipped.Increment(
        static_cast<uint64_t>(report.skipped_to - report.skipped_from));
  }
  const int64_t end = log.VisibleEnd().next_offset;
  const int64_t committed = offsets_->HighestCommitted(topic, partition);
  if (committed > end) {
    auto skipped = log.SkipTo(committed);
    if (!skipped) return tl::unexpected(skipped.error());
    Log().Error(
        "a consumer group committed past the partition's end (records lost with a power loss, "
        "or files restored from an older copy): new records start after the committed offset",
        {{"topic", topic},
         {"partition", std::to_string(partition)},
         {"end", std::to_string(end)},
         {"committed", std::to_string(committed)}});
    metrics_.offsets_skipped.Increment(static_cast<uint64_t>(committed - end));
  }
  return {};
}

std::vector<Spool::Topic*> Spool::AllTopics() const {
  std::shared_lock lock(topics_mutex_);
  std::vector<Topic*> out;
  for (const auto& [name, topic] : topics_) out.push_back(topic.get());
  return out;
}

void Spool::Produce(std::string_view topic_name, std::span<const OutgoingRecord> records,
                    ProduceCallback done) {
  if (stopped_.load()) return done(Retryable("spool is shutting down"));
  if (records.empty()) return done({});
  auto topic = GetOrCreateTopic(topic_name);
  if (!topic) return done(tl::unexpected(topic.error()));
  auto& partitions = (*topic)->partitions;
  const auto partition_count = static_cast<int32_t>(partitions.size());

  thread_local std::vector<std::string> frames;
  thread_local std::vector<uint32_t> counts;
  frames.resize(static_cast<size_t>(partition_count));
  counts.assign(static_cast<size_t>(partition_count), 0);
  for (auto& buffer : frames) buffer.clear();
  uint64_t total = 0;
  for (const auto& record : records) {
    const auto partition = static_cast<size_t>(PartitionForKey(record.key, partition_count));
    const size_t before = frames[partition].size();
    EncodeRecord(record, frames[partition]);
    total += frames[partition].size() - before;
    ++counts[partition];
  }

  if (size_bytes_.load() + total > options_.max_bytes) {
    metrics_.full_rejections.Increment();
    full_.store(true);
    {
      std::lock_guard lock(maintenance_mutex_);
      maintenance_requested_ = true;
    }
    maintenance_wanted_.notify_all();
    return done(Retryable("spool is full (" + FormatByteSize(size_bytes_.load()) + " of " +
                          FormatByteSize(options_.max_bytes) +
                          " hold records not yet consumed); retry later"));
  }

  // All or nothing: a request answered with an error must leave nothing a consumer could read,
  // or a client retrying as told would store its events twice.
  PartitionLog::Transaction transaction;
  for (int32_t partition = 0; partition < partition_count; ++partition) {
    const auto index = static_cast<size_t>(partition);
    if (counts[index] == 0) continue;
    auto staged = transaction.Stage(*partitions[index], frames[index], counts[index]);
    if (!staged) {
      transaction.RollBack();
      metrics_.write_failures.Increment();
      {
        std::lock_guard lock(write_error_mutex_);
        write_error_ = staged.error().message;
      }
      write_failing_.store(true);
      Log().Error("append failed; nothing of the request was kept",
                  {{"topic", std::string(topic_name)},
                   {"partition", std::to_string(partition)},
                   {"error", staged.error().message}});
      return done(Retryable("events not written to the spool: " + staged.error().message));
    }
  }
  transaction.Publish();
  size_bytes_.fetch_add(total);
  metrics_.bytes.Set(static_cast<double>(size_bytes_.load()));
  full_.store(false);
  if (write_failing_.exchange(false)) {
    Log().Info("spool writes work again");
  }

  if (options_.fsync == FsyncPolicy::kAlways) {
    {
      std::lock_guard lock(flush_mutex_);
      if (!stopped_.load()) {
        pending_acks_.push_back(PendingAck{std::move(done)});
        flush_wanted_.notify_one();
        return;
      }
    }
    done(SyncAll());
    NotifyData();
    return;
  }
  NotifyData();
  done({});
}

Result<void> Spool::SyncAll() {
  const auto started = std::chrono::steady_clock::now();
  bool synced_any = false;
  for (auto* topic : AllTopics()) {
    for (auto& log : topic->partitions) {
      auto synced = log->Sync();
      if (!synced) {
        Log().Error("fsync failed", {{"topic", topic->name}, {"error", synced.error().message}});
        return tl::unexpected(synced.error());
      }
      synced_any = synced_any || *synced;
    }
  }
  if (synced_any) {
    metrics_.fsync_latency.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return {};
}

void Spool::NotifyData() {
  {
    std::lock_guard lock(data_mutex_);
    data_version_.fetch_add(1);
  }
  data_changed_.notify_all();
}

void Spool::WaitForData(uint64_t seen_version, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(data_mutex_);
  data_changed_.wait_until(lock, deadline,
                           [&] { return data_version_.load() != seen_version || stopped_.load(); });
}

void Spool::FlusherLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::vector<PendingAck> acks;
    {
      std::unique_lock lock(flush_mutex_);
      if (options_.fsync == FsyncPolicy::kAlways) {
        flush_wanted_.wait(lock, stop, [&] { return !pending_acks_.empty(); });
      } else {
        flush_wanted_.wait_for(lock, stop, options_.fsync_interval, [] { return false; });
      }
      acks.swap(pending_acks_);
    }
    // Everything appended before the swap is covered by this sync: one fsync per partition
    // answers every request that arrived meanwhile (group commit).
    auto synced = SyncAll();
    if (options_.fsync == FsyncPolicy::kAlways) NotifyData();
    for (auto& ack : acks) ack.done(synced);
  }
}

void Spool::MaintenanceLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(maintenance_mutex_);
      maintenance_wanted_.wait_for(lock, stop, options_.maintenance_interval,
                                   [&] { return maintenance_requested_; });
      maintenance_requested_ = false;
    }
    if (stop.stop_requested()) return;
    ReclaimSpace();
  }
}

uint64_t Spool::ReclaimSpace() {
  const auto written_before = std::filesystem::file_time_type::clock::now() - options_.retention;
  uint64_t freed = 0;
  for (auto* topic : AllTopics()) {
    for (size_t partition = 0; partition < topic->partitions.size(); ++partition) {
      auto& log = topic->partitions[partition];
      const auto needed =
          offsets_->LowestNeeded(topic->name, static_cast<int32_t>(partition), log->StartOffset());
      // Without any registered group nothing counts as consumed: only age frees space.
      const int64_t below = needed.value_or(INT64_MIN);
      std::vector<PartitionLog::DeletedRange> unconsumed;
      freed += log->DeleteClosedSegments(below, written_before, &unconsumed);
      ReportUnconsumedDeletions(topic->name, static_cast<int32_t>(partition), unconsumed);
    }
  }
  if (freed > 0) {
    size_bytes_.fetch_sub(freed);
    full_.store(false);
    metrics_.reclaimed_bytes.Increment(freed);
    metrics_.bytes.Set(static_cast<double>(size_bytes_.load()));
    // While the spool runs full, reclamation runs often: report it at most every 10 s.
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(maintenance_mutex_);
    unreported_reclaimed_bytes_ += freed;
    if (now - last_reclaim_report_ >= std::chrono::seconds(10)) {
      Log().Info("reclaimed", {{"bytes", std::to_string(unreported_reclaimed_bytes_)},
                               {"held", std::to_string(size_bytes_.load())}});
      unreported_reclaimed_bytes_ = 0;
      last_reclaim_report_ = now;
    }
  }
  return freed;
}

void Spool::ReportUnconsumedDeletions(const std::string& topic, int32_t partition,
                                      const std::vector<PartitionLog::DeletedRange>& ranges) {
  for (const auto& range : ranges) {
    for (const auto& [group, needed] : offsets_->Needs(topic, partition, range.from)) {
      const int64_t lost = range.to - std::max(needed, range.from);
      if (lost <= 0) continue;
      metrics_.unconsumed_deleted.WithLabels({group}).Increment(static_cast<uint64_t>(lost));
      Log().Error("age retention deleted records a consumer group had not read (SPOOL_RETENTION)",
                  {{"topic", topic},
                   {"partition", std::to_string(partition)},
                   {"group", group},
                   {"offsets",
                    std::to_string(std::max(needed, range.from)) + ".." + std::to_string(range.to)},
                   {"records", std::to_string(lost)}});
    }
  }
}

Result<void> Spool::CheckReady() {
  if (stopped_.load()) return Retryable("spool is shutting down");
  if (full_.load()) return Retryable("spool is full: writes are refused until space is freed");
  if (write_failing_.load()) {
    std::lock_guard lock(write_error_mutex_);
    return Retryable("spool writes fail (ingest answers 503 until one works): " + write_error_);
  }
  return {};
}

Result<std::unique_ptr<Consumer>> Spool::Subscribe(std::string group, std::string topic_name) {
  if (!IsValidName(group)) return Permanent("invalid consumer group name \"" + group + "\"");
  auto topic = GetOrCreateTopic(topic_name);
  if (!topic) return tl::unexpected(topic.error());
  if (auto registered = offsets_->Register(group, topic_name); !registered) {
    return tl::unexpected(registered.error());
  }
  return std::unique_ptr<Consumer>(
      std::make_unique<SpoolConsumer>(*this, **topic, std::move(group)));
}

}  // namespace lp::queue::spool
