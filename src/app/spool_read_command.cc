#include "app/spool_read_command.h"

#include <cstdio>
#include <map>

#include "core/json_escape.h"
#include "core/logging.h"
#include "http/server.h"
#include "queue/spool/spool.h"

namespace lp::app {

int ReadSpool(const Config& config, const SpoolReadOptions& options) {
  const Logger log("spool-read");
  metrics::Registry registry;
  auto spool = queue::spool::Spool::Open(
      queue::spool::SpoolOptions{.directory = config.data_dir / "spool",
                                 .partitions = static_cast<int32_t>(config.spool_partitions),
                                 .fsync = queue::spool::FsyncPolicy::kNever,
                                 .segment_bytes = config.spool_segment_bytes,
                                 .max_bytes = UINT64_MAX,
                                 .retention = std::chrono::milliseconds::max() / 2},
      registry);
  if (!spool) {
    log.Error("cannot open the spool", {{"error", spool.error().message}});
    return 1;
  }
  auto consumer = (*spool)->Subscribe(options.group, options.topic);
  if (!consumer) {
    log.Error("cannot join the group", {{"error", consumer.error().message}});
    return 1;
  }
  std::map<int32_t, int64_t> next_offsets;
  size_t printed = 0;
  std::string line;
  while (printed < options.max_records) {
    auto batch = (*consumer)->Poll(std::min<size_t>(10'000, options.max_records - printed),
                                   std::chrono::milliseconds(200));
    if (!batch) {
      log.Error("read failed", {{"error", batch.error().message}});
      return 1;
    }
    if (batch->empty()) break;
    for (const auto& record : *batch) {
      line = "{\"partition\":" + std::to_string(record.partition) +
             ",\"offset\":" + std::to_string(record.offset) +
             ",\"timestamp_ms\":" + std::to_string(record.timestamp_ms) + ",\"key\":\"";
      AppendJsonEscaped(line, record.key);
      line += "\",\"value\":\"";
      AppendJsonEscaped(line, record.value);
      line += "\"}\n";
      std::fwrite(line.data(), 1, line.size(), stdout);
      next_offsets[record.partition] = record.offset + 1;
      ++printed;
    }
  }
  if (std::fflush(stdout) != 0) return 1;
  if (options.commit && !next_offsets.empty()) {
    std::vector<queue::OffsetCommit> commits;
    for (const auto& [partition, offset] : next_offsets) commits.push_back({partition, offset, ""});
    if (auto committed = (*consumer)->Commit(commits); !committed) {
      log.Error("commit failed", {{"error", committed.error().message}});
      return 1;
    }
  }
  return 0;
}

}  // namespace lp::app
