#include "search/logstore/log_store.h"

#include <algorithm>
#include <queue>
#include <set>

#include "core/file_util.h"
#include "core/level.h"
#include "core/logging.h"
#include "search/logstore/document_shape.h"
#include "search/logstore/log_store_state.h"
#include "search/logstore/tokens.h"

namespace lp::search::logstore {

namespace {

const Logger& Log() {
  static const Logger logger("logstore");
  return logger;
}

constexpr std::string_view kManifestName = "MANIFEST";
constexpr uint32_t kNone = UINT32_MAX;

std::string PartName(uint64_t number) {
  std::string digits = std::to_string(number);
  return "part-" + std::string(digits.size() < 12 ? 12 - digits.size() : 0, '0') + digits + ".lp";
}

std::shared_ptr<const std::vector<uint32_t>> WithRow(
    const std::shared_ptr<const std::vector<uint32_t>>& rows, uint32_t row) {
  auto copy = std::make_shared<std::vector<uint32_t>>(*rows);
  copy->insert(std::upper_bound(copy->begin(), copy->end(), row), row);
  return copy;
}

}  // namespace

bool Contains(const std::vector<uint32_t>& sorted, uint32_t row) {
  return std::binary_search(sorted.begin(), sorted.end(), row);
}

bool AnyIn(const std::vector<uint32_t>& sorted, uint32_t first, uint32_t count) {
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), first);
  return it != sorted.end() && *it < first + count;
}

LogStoreMetrics::LogStoreMetrics(metrics::Registry& registry)
    : parts_written(registry
                        .AddCounter("logstore_parts_written_total",
                                    "Parts the log store wrote from its buffer.")
                        .WithLabels({})),
      flush_errors(registry
                       .AddCounter("logstore_flush_errors_total",
                                   "Failed attempts to write the buffer as a part (disk full...).")
                       .WithLabels({})),
      merges(registry.AddCounter("logstore_merges_total", "Background merges of parts done.")
                 .WithLabels({})),
      merge_errors(
          registry.AddCounter("logstore_merge_errors_total", "Background merges that failed.")
              .WithLabels({})),
      corrupt_parts(registry
                        .AddCounter("logstore_corrupt_parts_total",
                                    "Part files found corrupt or missing at start and set aside.")
                        .WithLabels({})),
      retention_dropped(registry.AddCounter(
          "logstore_retention_dropped_events_total",
          "Events dropped by retention: reason age (SEARCH_RETENTION_DAYS, by arrival) or bytes "
          "(SEARCH_RETENTION_BYTES, oldest-arrived parts first).",
          {"reason"})),
      retention_dropped_age(retention_dropped.WithLabels({"age"})),
      retention_dropped_bytes(retention_dropped.WithLabels({"bytes"})),
      parts(registry.AddGauge("logstore_parts", "Parts of the log store.").WithLabels({})),
      part_bytes(registry.AddGauge("logstore_part_bytes", "Bytes of the log store's part files.")
                     .WithLabels({})),
      buffer_bytes(registry
                       .AddGauge("logstore_buffer_bytes",
                                 "Bytes of documents buffered in memory, not yet in a part.")
                       .WithLabels({})) {}

LogStore::LogStore(LogStoreOptions options, LogStoreMetrics& metrics)
    : options_(std::move(options)), metrics_(metrics), state_(std::make_shared<State>()) {}

LogStore::~LogStore() { Stop(); }

Result<std::unique_ptr<LogStore>> LogStore::Open(LogStoreOptions options,
                                                 LogStoreMetrics& metrics) {
  std::error_code error;
  std::filesystem::create_directories(options.directory, error);
  if (error)
    return Permanent("cannot create " + options.directory.string() + ": " + error.message());
  std::unique_ptr<LogStore> store(new LogStore(std::move(options), metrics));
  if (auto loaded = store->Load(); !loaded) return tl::unexpected(loaded.error());
  if (store->options_.background) {
    store->flush_thread_ =
        std::jthread([raw = store.get()](std::stop_token stop) { raw->RunFlushes(stop); });
    store->merge_thread_ =
        std::jthread([raw = store.get()](std::stop_token stop) { raw->RunMerges(stop); });
  }
  return store;
}

Result<std::unique_ptr<LogStore>> LogStore::Open(LogStoreOptions options,
                                                 metrics::Registry& registry) {
  auto metrics = std::make_unique<LogStoreMetrics>(registry);
  auto& reference = *metrics;
  auto store = Open(std::move(options), reference);
  if (store) (*store)->owned_metrics_ = std::move(metrics);
  return store;
}

Result<void> LogStore::Load() {
  const auto& directory = options_.directory;
  const auto manifest_path = directory / kManifestName;
  Manifest manifest;
  bool rewrite = false;
  std::error_code error;
  if (std::filesystem::exists(manifest_path, error)) {
    auto text = ReadWholeFile(manifest_path);
    if (!text) return tl::unexpected(text.error());
    auto decoded = DecodeManifest(*text);
    if (decoded) {
      manifest = std::move(*decoded);
    } else {
      // Without the list, no part can be trusted (a merge's inputs and output may both be
      // there): set everything aside and read the queue again from its start.
      const auto aside = manifest_path.string() + ".corrupt";
      std::filesystem::rename(manifest_path, aside, error);
      Log().Error("MANIFEST is corrupt: set aside, every part with it; the queue is read again",
                  {{"error", decoded.error().message}, {"renamed_to", aside}});
      metrics_.corrupt_parts.Increment();
      for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
        if (entry.path().extension() == ".lp") {
          std::filesystem::rename(entry.path(), entry.path().string() + ".corrupt", error);
        }
      }
      rewrite = true;
    }
  }
  next_part_ = manifest.next_part;
  next_seq_ = manifest.next_seq;
  durable_ = manifest.checkpoint;
  std::set<std::string> listed;
  for (auto& entry : manifest.parts) {
    listed.insert(entry.name);
    const auto path = directory / entry.name;
    auto part = Part::Open(path);
    if (!part) {
      const auto aside = path.string() + ".corrupt";
      std::filesystem::rename(path, aside, error);
      metrics_.corrupt_parts.Increment();
      std::string rewound;
      for (const auto& [partition, offset] : entry.source_min_offsets) {
        auto& durable = durable_[partition];
        durable = std::min(durable, offset);
        if (!rewound.empty()) rewound.push_back(',');
        rewound += std::to_string(partition);
        rewound.push_back(':');
        rewound += std::to_string(offset);
      }
      Log().Error("part is corrupt or missing: set aside; its events are read again from the queue",
                  {{"part", entry.name},
                   {"error", part.error().message},
                   {"renamed_to", aside},
                   {"rows", std::to_string(entry.rows)},
                   {"resume_partition_offsets", rewound}});
      rewrite = true;
      continue;
    }
    PartRecord record{std::move(*part), std::move(entry), nullptr};
    record.deleted = std::make_shared<const std::vector<uint32_t>>(record.entry.deleted);
    parts_.push_back(std::move(record));
  }
  // Leftovers of a crash: temporary files, and parts written but never listed.
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const auto name = entry.path().filename().string();
    const bool temporary = name.find(".tmp") != std::string::npos;
    const bool unlisted = entry.path().extension() == ".lp" && !listed.contains(name);
    if (temporary || unlisted) std::filesystem::remove(entry.path(), error);
  }
  if (rewrite) {
    if (auto written = WriteManifestLocked(); !written) return written;
  }
  PublishLocked();
  return {};
}

void LogStore::Stop() {
  {
    std::lock_guard lock(wake_mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  for (auto* thread : {&flush_thread_, &merge_thread_}) {
    if (!thread->joinable()) continue;
    thread->request_stop();
    wake_.notify_all();
    merge_wake_.notify_all();
    thread->join();
  }
  if (auto flushed = Flush(); !flushed) {
    Log().Warn("could not write the buffer at stop; the queue delivers it again",
               {{"error", flushed.error().message}});
  }
}

void LogStore::RunFlushes(std::stop_token stop) {
  auto next_flush = std::chrono::steady_clock::now() + options_.flush_interval;
  int failures = 0;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wake_mutex_);
      wake_.wait_until(lock, stop, next_flush, [this] {
        std::lock_guard write_lock(write_mutex_);
        return buffer_bytes_ >= options_.flush_bytes;
      });
    }
    if (stop.stop_requested()) return;
    auto flushed = Flush();
    if (!flushed) {
      // Disk full or the like: keep the buffer (Write refuses once it is too big) and retry
      // with a growing pause; the processor commits nothing meanwhile.
      ++failures;
      if (failures == 1 || failures % 30 == 0) {
        Log().Error("cannot write a part; retrying", {{"error", flushed.error().message}});
      }
      next_flush = std::chrono::steady_clock::now() +
                   std::min<std::chrono::milliseconds>(options_.flush_interval * failures,
                                                       std::chrono::seconds(10));
      continue;
    }
    if (failures > 0) Log().Info("writing parts works again");
    failures = 0;
    next_flush = std::chrono::steady_clock::now() + options_.flush_interval;
    {
      std::lock_guard lock(wake_mutex_);
      ++flushes_;
    }
    merge_wake_.notify_all();
  }
}

void LogStore::RunMerges(std::stop_token stop) {
  uint64_t seen = 0;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wake_mutex_);
      merge_wake_.wait(lock, stop, [&] { return flushes_ != seen; });
      seen = flushes_;
    }
    while (!stop.stop_requested()) {
      auto merged = MergeOnce(false, stop);
      if (!merged) {
        metrics_.merge_errors.Increment();
        Log().Warn("merge failed; trying after the next flush",
                   {{"error", merged.error().message}});
        break;
      }
      if (!*merged) break;
    }
  }
}

std::shared_ptr<const LogStore::State> LogStore::Snapshot() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

void LogStore::PublishLocked() {
  auto state = std::make_shared<State>();
  uint64_t bytes = 0;
  for (const auto& record : parts_) {
    state->parts.push_back({record.part, record.deleted});
    bytes += record.entry.bytes;
  }
  for (const auto& record : chunks_) state->chunks.push_back({record.chunk, record.deleted});
  metrics_.parts.Set(static_cast<double>(parts_.size()));
  metrics_.part_bytes.Set(static_cast<double>(bytes));
  metrics_.buffer_bytes.Set(static_cast<double>(buffer_bytes_));
  std::lock_guard lock(state_mutex_);
  state_ = std::move(state);
}

size_t LogStore::PartCount() const {
  std::lock_guard lock(write_mutex_);
  return parts_.size();
}

Result<void> LogStore::WriteManifestLocked() {
  Manifest manifest;
  manifest.next_part = next_part_;
  manifest.next_seq = next_seq_;
  manifest.checkpoint = durable_;
  for (auto& record : parts_) {
    record.entry.deleted = *record.deleted;
    manifest.parts.push_back(record.entry);
  }
  return ReplaceFileAtomically(options_.directory / kManifestName, EncodeManifest(manifest));
}

bool OffsetFormId(std::string_view id, std::string_view& prefix, int64_t& offset) {
  return ParseOffsetId(id, prefix, offset) && prefix.find(' ') == std::string_view::npos;
}

Result<void> LogStore::RemoveExistingLocked(
    std::string_view id, const Chunk& pending, std::vector<ChunkRecord>& chunks,
    std::vector<uint32_t>& new_chunk_deleted,
    std::vector<std::pair<const Part*, uint32_t>>& part_deletions) {
  std::string_view prefix;
  int64_t offset = 0;
  const bool offset_form = OffsetFormId(id, prefix, offset);
  const auto holds = [&](const Chunk& chunk) {
    const auto range = chunk.id_ranges.find(prefix);
    return range != chunk.id_ranges.end() && offset >= range->second.first &&
           offset <= range->second.second;
  };
  if (offset_form) {
    if (holds(pending)) {
      for (uint32_t r = 0; r < pending.rows.size(); ++r) {
        if (pending.Id(pending.rows[r]) != id ||
            std::find(new_chunk_deleted.begin(), new_chunk_deleted.end(), r) !=
                new_chunk_deleted.end()) {
          continue;
        }
        // The batch being written has this id already: the later one wins.
        new_chunk_deleted.push_back(r);
        return {};
      }
    }
    const auto written = buffer_max_offsets_.find(prefix);
    if (written != buffer_max_offsets_.end() && offset <= written->second) {
      for (auto record = chunks.rbegin(); record != chunks.rend(); ++record) {
        if (!holds(*record->chunk)) continue;
        const auto& chunk = *record->chunk;
        for (uint32_t r = 0; r < chunk.rows.size(); ++r) {
          if (chunk.Id(chunk.rows[r]) != id || Contains(*record->deleted, r)) continue;
          record->deleted = WithRow(record->deleted, r);
          return {};
        }
      }
    }
  } else {
    const auto [begin, end] = buffer_ids_.equal_range(HashToken(id));
    for (auto it = begin; it != end; ++it) {
      const auto location = it->second;
      if (location.chunk_serial == next_chunk_serial_) {
        if (pending.Id(pending.rows[location.row]) != id) continue;
        new_chunk_deleted.push_back(location.row);
        buffer_ids_.erase(it);
        return {};
      }
      for (auto& record : chunks) {
        if (record.serial != location.chunk_serial) continue;
        if (record.chunk->Id(record.chunk->rows[location.row]) != id) break;
        record.deleted = WithRow(record.deleted, location.row);
        buffer_ids_.erase(it);
        return {};
      }
    }
  }
  for (auto record = parts_.rbegin(); record != parts_.rend(); ++record) {
    const auto& entry = record->entry;
    if (offset_form && !entry.other_ids) {
      const auto range = entry.id_ranges.find(prefix);
      if (range == entry.id_ranges.end() || offset < range->second.first ||
          offset > range->second.second) {
        continue;
      }
    }
    auto row = record->part->FindId(id);
    if (!row) return tl::unexpected(row.error());
    if (!*row || Contains(*record->deleted, **row)) continue;
    part_deletions.emplace_back(record->part.get(), **row);
    return {};
  }
  return {};
}

Result<std::vector<DocumentOutcome>> LogStore::Write(std::span<const SearchDocument> documents) {
  std::vector<DocumentOutcome> outcomes(documents.size());
  auto chunk = std::make_shared<Chunk>();
  chunk->arrival_ms = options_.clock_ms();
  // Shaped before the lock, as it parses: the members the columns hold leave the JSON.
  std::vector<StoredDocument> stored(documents.size());
  size_t bytes = 0;
  for (size_t i = 0; i < documents.size(); ++i) {
    const auto& document = documents[i];
    const auto level = ParseLevel(document.level);
    if (level) {
      stored[i] = StoreDocument(document.json, document.timestamp_ms, document.service,
                                LevelName(*level), document.message);
    }
    bytes += document.id.size() + document.service.size() + stored[i].host.size() +
             document.message.size() + stored[i].json.size() + stored[i].tenant.size();
  }
  chunk->arena.reserve(bytes);
  chunk->rows.reserve(documents.size());

  std::lock_guard lock(write_mutex_);
  if (buffer_bytes_ > options_.max_buffer_bytes) {
    return Retryable(last_flush_error_.empty()
                         ? "log store buffer full: documents arrive faster than parts are written"
                         : "log store buffer full: parts cannot be written (" + last_flush_error_ +
                               ")");
  }
  std::vector<ChunkRecord> chunks = chunks_;
  std::vector<uint32_t> new_chunk_deleted;
  // Applied once the whole batch is known good: a failed lookup leaves nothing changed.
  std::vector<std::pair<const Part*, uint32_t>> part_deletions;
  const auto append = [&](std::string_view text, uint32_t& at, uint32_t& size) {
    at = static_cast<uint32_t>(chunk->arena.size());
    size = static_cast<uint32_t>(text.size());
    chunk->arena.append(text);
  };
  for (size_t i = 0; i < documents.size(); ++i) {
    const auto& document = documents[i];
    const auto level = ParseLevel(document.level);
    if (!level) {
      outcomes[i] = {false, "unknown level \"" + document.level + "\""};
      continue;
    }
    if (document.id.empty()) {
      outcomes[i] = {false, "a document needs an id"};
      continue;
    }
    if (auto removed =
            RemoveExistingLocked(document.id, *chunk, chunks, new_chunk_deleted, part_deletions);
        !removed) {
      // Nothing of the batch is stored (ids of the new chunk are forgotten with it).
      std::erase_if(buffer_ids_, [&](const auto& entry) {
        return entry.second.chunk_serial == next_chunk_serial_;
      });
      return tl::unexpected(Error{ErrorClass::kRetryable, removed.error().message});
    }
    Chunk::Row row{};
    row.ts = document.timestamp_ms;
    row.seq = next_seq_++;
    row.level = static_cast<uint8_t>(*level);
    row.source_partition = document.source_partition;
    row.source_offset = document.source_offset;
    append(document.id, row.id_at, row.id_size);
    append(document.service, row.service_at, row.service_size);
    append(stored[i].host, row.host_at, row.host_size);
    append(document.message, row.message_at, row.message_size);
    append(stored[i].json, row.json_at, row.json_size);
    append(stored[i].tenant, row.tenant_at, row.tenant_size);
    row.members = stored[i].members;
    chunk->min_ts = std::min(chunk->min_ts, row.ts);
    chunk->max_ts = std::max(chunk->max_ts, row.ts);
    std::string_view prefix;
    int64_t offset = 0;
    if (OffsetFormId(document.id, prefix, offset)) {
      auto range = chunk->id_ranges.find(prefix);
      if (range == chunk->id_ranges.end()) {
        chunk->id_ranges.emplace(std::string(prefix), std::pair{offset, offset});
      } else {
        range->second.first = std::min(range->second.first, offset);
        range->second.second = std::max(range->second.second, offset);
      }
      auto written = buffer_max_offsets_.find(prefix);
      if (written == buffer_max_offsets_.end()) {
        buffer_max_offsets_.emplace(std::string(prefix), offset);
      } else {
        written->second = std::max(written->second, offset);
      }
    } else {
      chunk->other_ids = true;
      buffer_ids_.emplace(
          HashToken(document.id),
          BufferLocation{next_chunk_serial_, static_cast<uint32_t>(chunk->rows.size())});
    }
    chunk->rows.push_back(row);
  }
  for (const auto& [part, row] : part_deletions) {
    for (auto& record : parts_) {
      if (record.part.get() == part) record.deleted = WithRow(record.deleted, row);
    }
  }
  if (!chunk->rows.empty()) {
    std::sort(new_chunk_deleted.begin(), new_chunk_deleted.end());
    chunks.push_back(
        ChunkRecord{std::move(chunk), next_chunk_serial_++,
                    std::make_shared<const std::vector<uint32_t>>(std::move(new_chunk_deleted))});
    buffer_bytes_ += bytes + documents.size() * sizeof(Chunk::Row);
  }
  chunks_ = std::move(chunks);
  PublishLocked();
  if (buffer_bytes_ >= options_.flush_bytes) wake_.notify_all();
  return outcomes;
}

Result<std::vector<SourceOffset>> LogStore::Checkpoint(std::span<const SourceOffset> handled) {
  std::lock_guard lock(write_mutex_);
  for (const auto& position : handled) {
    auto& next = handled_[position.partition];
    next = std::max(next, position.next_offset);
  }
  std::vector<SourceOffset> durable;
  for (const auto& [partition, offset] : durable_) durable.push_back({partition, offset});
  return durable;
}

std::optional<int64_t> LogStore::ResumeOffset(int32_t partition) {
  std::lock_guard lock(write_mutex_);
  const auto it = durable_.find(partition);
  // Never seen: from the start of what the queue holds (a new store re-reads the spool).
  return it == durable_.end() ? 0 : it->second;
}

Result<void> LogStore::Flush() {
  std::lock_guard flush_lock(flush_mutex_);
  std::vector<ChunkRecord> taken;
  std::map<int32_t, int64_t> checkpoint;
  uint64_t part_number = 0;
  {
    std::lock_guard lock(write_mutex_);
    taken = chunks_;
    checkpoint = durable_;
    for (const auto& [partition, offset] : handled_) {
      auto& next = checkpoint[partition];
      next = std::max(next, offset);
    }
    if (taken.empty() && checkpoint == durable_) return {};
    if (!taken.empty()) part_number = next_part_++;
  }

  PartEntry entry;
  std::shared_ptr<const Part> part;
  // For each taken chunk, its rows' positions in the part (kNone: deleted before the flush).
  std::vector<std::vector<uint32_t>> positions(taken.size());
  if (!taken.empty()) {
    struct Ref {
      int64_t ts;
      uint64_t seq;
      uint32_t chunk;
      uint32_t row;
    };
    std::vector<Ref> refs;
    entry.min_arrival_ms = INT64_MAX;
    entry.max_arrival_ms = INT64_MIN;
    for (uint32_t c = 0; c < taken.size(); ++c) {
      const auto& chunk = *taken[c].chunk;
      positions[c].assign(chunk.rows.size(), kNone);
      for (uint32_t r = 0; r < chunk.rows.size(); ++r) {
        if (Contains(*taken[c].deleted, r)) continue;
        refs.push_back({chunk.rows[r].ts, chunk.rows[r].seq, c, r});
      }
      entry.min_arrival_ms = std::min(entry.min_arrival_ms, chunk.arrival_ms);
      entry.max_arrival_ms = std::max(entry.max_arrival_ms, chunk.arrival_ms);
    }
    std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq;
    });
    entry.name = PartName(part_number);
    const auto final_path = options_.directory / entry.name;
    const auto temporary = options_.directory / (entry.name + ".tmp");
    auto written = [&]() -> Result<uint64_t> {
      auto writer = PartWriter::Create(temporary, options_.flush_part);
      if (!writer) return tl::unexpected(writer.error());
      for (uint32_t i = 0; i < refs.size(); ++i) {
        const auto& chunk = *taken[refs[i].chunk].chunk;
        const auto& row = chunk.rows[refs[i].row];
        positions[refs[i].chunk][refs[i].row] = i;
        entry.max_seq = std::max(entry.max_seq, row.seq);
        if (row.source_partition >= 0) {
          auto [it, inserted] =
              entry.source_min_offsets.emplace(row.source_partition, row.source_offset);
          if (!inserted) it->second = std::min(it->second, row.source_offset);
        }
        std::string_view prefix;
        int64_t offset = 0;
        if (OffsetFormId(chunk.Id(row), prefix, offset)) {
          auto range = entry.id_ranges.find(prefix);
          if (range == entry.id_ranges.end()) {
            entry.id_ranges.emplace(std::string(prefix), std::pair{offset, offset});
          } else {
            range->second.first = std::min(range->second.first, offset);
            range->second.second = std::max(range->second.second, offset);
          }
        } else {
          entry.other_ids = true;
        }
        auto added = (*writer)->Add(RowView{row.ts, row.seq, row.level, chunk.Service(row),
                                            chunk.Host(row), chunk.Id(row), chunk.Message(row),
                                            chunk.Json(row), row.members, chunk.Tenant(row)});
        if (!added) return tl::unexpected(added.error());
      }
      auto size = (*writer)->Finish();
      if (!size) return size;
      if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
        return SystemError("rename " + temporary.string(), errno);
      }
      if (auto synced = SyncDirectory(options_.directory); !synced) {
        return tl::unexpected(synced.error());
      }
      return size;
    }();
    if (!written) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      std::filesystem::remove(final_path, ignored);
      metrics_.flush_errors.Increment();
      std::lock_guard lock(write_mutex_);
      last_flush_error_ = written.error().message;
      return tl::unexpected(Error{ErrorClass::kRetryable, written.error().message});
    }
    entry.bytes = *written;
    entry.rows = refs.size();
    auto opened = Part::Open(final_path);
    if (!opened) return tl::unexpected(opened.error());
    part = std::move(*opened);
  }

  std::lock_guard lock(write_mutex_);
  const auto parts_before = parts_;
  if (part) {
    // Rows of the taken chunks overwritten while the part was being written.
    std::vector<uint32_t> deleted;
    for (size_t c = 0; c < taken.size(); ++c) {
      const auto current = std::find_if(chunks_.begin(), chunks_.end(), [&](const auto& record) {
        return record.serial == taken[c].serial;
      });
      for (const uint32_t row : *current->deleted) {
        if (positions[c][row] != kNone) deleted.push_back(positions[c][row]);
      }
    }
    std::sort(deleted.begin(), deleted.end());
    deleted.erase(std::unique(deleted.begin(), deleted.end()), deleted.end());
    parts_.push_back(PartRecord{part, std::move(entry),
                                std::make_shared<const std::vector<uint32_t>>(std::move(deleted))});
  }
  const auto durable_before = durable_;
  durable_ = checkpoint;
  if (auto written = WriteManifestLocked(); !written) {
    parts_ = parts_before;
    durable_ = durable_before;
    if (part) {
      std::error_code ignored;
      std::filesystem::remove(part->path(), ignored);
    }
    metrics_.flush_errors.Increment();
    last_flush_error_ = written.error().message;
    return tl::unexpected(Error{ErrorClass::kRetryable, written.error().message});
  }
  last_flush_error_.clear();
  if (part) metrics_.parts_written.Increment();
  // The taken chunks now live in the part: forget them and their ids.
  for (const auto& record : taken) {
    for (uint32_t r = 0; r < record.chunk->rows.size(); ++r) {
      const auto& row = record.chunk->rows[r];
      std::string_view prefix;
      int64_t offset = 0;
      if (record.chunk->other_ids && !OffsetFormId(record.chunk->Id(row), prefix, offset)) {
        const auto [begin, end] = buffer_ids_.equal_range(HashToken(record.chunk->Id(row)));
        for (auto it = begin; it != end; ++it) {
          if (it->second.chunk_serial == record.serial && it->second.row == r) {
            buffer_ids_.erase(it);
            break;
          }
        }
      }
      buffer_bytes_ -= std::min(
          buffer_bytes_, record.chunk->Id(row).size() + record.chunk->Service(row).size() +
                             record.chunk->Host(row).size() + record.chunk->Message(row).size() +
                             record.chunk->Json(row).size() + record.chunk->Tenant(row).size() +
                             sizeof(Chunk::Row));
    }
    std::erase_if(chunks_, [&](const auto& chunk) { return chunk.serial == record.serial; });
  }
  if (chunks_.empty()) {
    buffer_bytes_ = 0;
    buffer_max_offsets_.clear();
  }
  EnforceSizeLocked();
  PublishLocked();
  return {};
}

void LogStore::DropPartsLocked(std::vector<size_t> indexes, metrics::Counter& counter,
                               uint64_t& dropped_rows) {
  std::sort(indexes.rbegin(), indexes.rend());
  std::vector<std::filesystem::path> files;
  auto parts_before = parts_;
  for (const size_t index : indexes) {
    dropped_rows += parts_[index].entry.rows - parts_[index].deleted->size();
    files.push_back(parts_[index].part->path());
    parts_.erase(parts_.begin() + static_cast<std::ptrdiff_t>(index));
  }
  if (auto written = WriteManifestLocked(); !written) {
    parts_ = std::move(parts_before);
    dropped_rows = 0;
    Log().Warn("retention could not rewrite MANIFEST; trying later",
               {{"error", written.error().message}});
    return;
  }
  counter.Increment(dropped_rows);
  std::error_code ignored;
  for (const auto& file : files) std::filesystem::remove(file, ignored);
}

void LogStore::EnforceSizeLocked() {
  if (options_.retention_bytes == 0) return;
  uint64_t total = 0;
  for (const auto& record : parts_) total += record.entry.bytes;
  if (total <= options_.retention_bytes) return;
  std::vector<size_t> order(parts_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return parts_[a].entry.max_arrival_ms < parts_[b].entry.max_arrival_ms;
  });
  std::vector<size_t> drop;
  for (const size_t index : order) {
    if (total <= options_.retention_bytes) break;
    total -= parts_[index].entry.bytes;
    drop.push_back(index);
  }
  uint64_t rows = 0;
  DropPartsLocked(std::move(drop), metrics_.retention_dropped_bytes, rows);
  if (rows > 0) {
    Log().Info("dropped the oldest-arrived parts over SEARCH_RETENTION_BYTES",
               {{"events", std::to_string(rows)}});
  }
}

Result<uint64_t> LogStore::DeleteArrivedBefore(int64_t before_ms) {
  std::lock_guard lock(write_mutex_);
  std::vector<size_t> drop;
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (parts_[i].entry.max_arrival_ms < before_ms) drop.push_back(i);
  }
  uint64_t rows = 0;
  if (!drop.empty()) DropPartsLocked(std::move(drop), metrics_.retention_dropped_age, rows);
  PublishLocked();
  return rows;
}

Result<bool> LogStore::MergeOnce(bool force, std::stop_token stop) {
  std::lock_guard merge_lock(merge_mutex_);
  std::vector<PartRecord> inputs;
  uint64_t number = 0;
  {
    std::lock_guard lock(write_mutex_);
    if (parts_.size() < 2 || (!force && parts_.size() <= options_.merge_above_parts)) return false;
    std::vector<size_t> order(parts_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return parts_[a].entry.rows < parts_[b].entry.rows; });
    uint64_t rows = 0;
    for (const size_t index : order) {
      if (inputs.size() == options_.max_merge_parts) break;
      if (inputs.size() >= 2 && rows + parts_[index].entry.rows > options_.max_part_rows) break;
      rows += parts_[index].entry.rows;
      inputs.push_back(parts_[index]);
    }
    if (inputs.size() < 2) return false;
    number = next_part_++;
  }

  struct Input {
    const Part* part;
    std::shared_ptr<const std::vector<uint32_t>> deleted;
    size_t block = 0;
    uint32_t row = 0;  // Within the block.
    DecodedBlock decoded;
    std::vector<uint32_t> positions;
  };
  std::vector<Input> cursors;
  PartEntry entry;
  entry.name = PartName(number);
  entry.min_arrival_ms = INT64_MAX;
  entry.max_arrival_ms = INT64_MIN;
  for (const auto& input : inputs) {
    cursors.push_back(Input{input.part.get(), input.deleted, 0, 0, {}, {}});
    cursors.back().positions.assign(input.part->rows(), kNone);
    entry.min_arrival_ms = std::min(entry.min_arrival_ms, input.entry.min_arrival_ms);
    entry.max_arrival_ms = std::max(entry.max_arrival_ms, input.entry.max_arrival_ms);
    entry.max_seq = std::max(entry.max_seq, input.entry.max_seq);
    entry.other_ids = entry.other_ids || input.entry.other_ids;
    for (const auto& [partition, offset] : input.entry.source_min_offsets) {
      auto [it, inserted] = entry.source_min_offsets.emplace(partition, offset);
      if (!inserted) it->second = std::min(it->second, offset);
    }
    for (const auto& [prefix, range] : input.entry.id_ranges) {
      auto [it, inserted] = entry.id_ranges.emplace(prefix, range);
      if (!inserted) {
        it->second.first = std::min(it->second.first, range.first);
        it->second.second = std::max(it->second.second, range.second);
      }
    }
  }
  // Every column a row is written from (the writer counts the service levels afresh).
  constexpr uint32_t kAll = ((1U << kColumns) - 1) & ~ColumnBit(Column::kServiceLevels);
  // Moves a cursor to its next live row, decoding blocks as it goes; false at its end.
  const auto settle = [&](Input& input) -> Result<bool> {
    while (input.block < input.part->blocks().size()) {
      const auto& block = input.part->blocks()[input.block];
      if (input.row == 0 && input.decoded.timestamps.size() != block.rows) {
        if (auto done = input.part->Decode(input.block, kAll, input.decoded); !done) {
          return tl::unexpected(done.error());
        }
      }
      while (input.row < block.rows && Contains(*input.deleted, block.first_row + input.row)) {
        ++input.row;
      }
      if (input.row < block.rows) return true;
      ++input.block;
      input.row = 0;
      input.decoded.timestamps.clear();
    }
    return false;
  };
  const auto temporary = options_.directory / (entry.name + ".tmp");
  const auto final_path = options_.directory / entry.name;
  auto written = [&]() -> Result<uint64_t> {
    auto writer = PartWriter::Create(temporary, options_.merged_part);
    if (!writer) return tl::unexpected(writer.error());
    using Head = std::pair<std::pair<int64_t, uint64_t>, size_t>;
    std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
    const auto push = [&](size_t i) -> Result<void> {
      auto live = settle(cursors[i]);
      if (!live) return tl::unexpected(live.error());
      if (*live) {
        const auto& input = cursors[i];
        heads.push({{input.decoded.timestamps[input.row], input.decoded.seqs[input.row]}, i});
      }
      return {};
    };
    for (size_t i = 0; i < cursors.size(); ++i) {
      if (auto pushed = push(i); !pushed) return tl::unexpected(pushed.error());
    }
    uint32_t out = 0;
    while (!heads.empty()) {
      if (out % 4096 == 0 && stop.stop_requested()) return Retryable("merge stopped");
      const size_t i = heads.top().second;
      heads.pop();
      auto& input = cursors[i];
      const auto& d = input.decoded;
      const uint32_t r = input.row;
      input.positions[input.part->blocks()[input.block].first_row + r] = out++;
      auto added = (*writer)->Add(RowView{d.timestamps[r], d.seqs[r], d.levels[r],
                                          d.services[d.service_codes[r]], d.hosts[d.host_codes[r]],
                                          d.ids[r], d.messages[r], d.jsons[r], d.members[r],
                                          d.tenants[d.tenant_codes[r]]});
      if (!added) return tl::unexpected(added.error());
      ++input.row;
      if (auto pushed = push(i); !pushed) return tl::unexpected(pushed.error());
    }
    entry.rows = out;
    auto size = (*writer)->Finish();
    if (!size) return size;
    if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
      return SystemError("rename " + temporary.string(), errno);
    }
    if (auto synced = SyncDirectory(options_.directory); !synced) {
      return tl::unexpected(synced.error());
    }
    return size;
  }();
  std::error_code ignored;
  if (!written) {
    std::filesystem::remove(temporary, ignored);
    std::filesystem::remove(final_path, ignored);
    if (stop.stop_requested()) return false;
    return tl::unexpected(written.error());
  }
  entry.bytes = *written;
  auto merged = Part::Open(final_path);
  if (!merged) return tl::unexpected(merged.error());

  std::lock_guard lock(write_mutex_);
  const auto parts_before = parts_;
  std::vector<uint32_t> deleted;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto current = std::find_if(parts_.begin(), parts_.end(), [&](const auto& record) {
      return record.part == inputs[i].part;
    });
    if (current == parts_.end()) {
      // Retention dropped an input meanwhile: this merge is void.
      std::filesystem::remove(final_path, ignored);
      return false;
    }
    // Rows overwritten while the merge ran.
    for (const uint32_t row : *current->deleted) {
      if (cursors[i].positions[row] != kNone) deleted.push_back(cursors[i].positions[row]);
    }
    parts_.erase(current);
  }
  std::sort(deleted.begin(), deleted.end());
  parts_.push_back(PartRecord{std::move(*merged), std::move(entry),
                              std::make_shared<const std::vector<uint32_t>>(std::move(deleted))});
  if (auto manifest = WriteManifestLocked(); !manifest) {
    parts_ = parts_before;
    std::filesystem::remove(final_path, ignored);
    return tl::unexpected(manifest.error());
  }
  PublishLocked();
  metrics_.merges.Increment();
  for (const auto& input : inputs) std::filesystem::remove(input.part->path(), ignored);
  return true;
}

}  // namespace lp::search::logstore
