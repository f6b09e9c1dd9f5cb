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
                        .WithLabels({})) {}

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
    size_bytes_.fetch_add((*log)->SizeBytes());
    topic->partitions.push_back(std::move(*log));
  }
  metrics_.bytes.Set(static_cast<double>(size_bytes_.load()));
  auto* raw = topic.get();
  topics_.emplace(topic->name, std::move(topic));
  return raw;
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

  for (int32_t partition = 0; partition < partition_count; ++partition) {
    const auto index = static_cast<size_t>(partition);
    if (counts[index] == 0) continue;
    auto appended = partitions[index]->Append(frames[index], counts[index]);
    if (!appended) {
      Log().Error("append failed", {{"topic", std::string(topic_name)},
                                    {"partition", std::to_string(partition)},
                                    {"error", appended.error().message}});
      return done(tl::unexpected(appended.error()));
    }
    size_bytes_.fetch_add(frames[index].size());
  }
  metrics_.bytes.Set(static_cast<double>(size_bytes_.load()));
  full_.store(false);

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
      freed += log->DeleteClosedSegments(below, written_before);
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

Result<void> Spool::CheckReady() {
  if (stopped_.load()) return Retryable("spool is shutting down");
  if (full_.load()) return Retryable("spool is full: writes are refused until space is freed");
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
