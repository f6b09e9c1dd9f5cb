// MB/s of raw events through the real archiver (spool read, batching, date split, gzip, local
// object store with fsync and rename, commit), as a ratio to the compressor alone on the same
// bytes in the same run. Run: scripts/bench archiver [--events N] [--batch-size N]
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "archiver/archiver.h"
#include "objectstore/local/local_object_store.h"
#include "queue/spool/spool.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kServices[] = {"svc-0", "svc-1", "svc-2", "svc-3", "svc-4", "svc-5"};

std::vector<std::string> SeedEvents(size_t count) {
  std::vector<std::string> events;
  events.reserve(count);
  for (size_t n = 0; n < count; ++n) {
    events.push_back(
        R"({"timestamp":"2025-10-30T12:34:56.789Z","service":"svc-)" + std::to_string(n % 6) +
        R"(","level":"INFO","message":"User logged in successfully evt-)" + std::to_string(n) +
        R"(","trace_id":"trace-)" + std::to_string(n) + R"(","request_id":"req-)" +
        std::to_string(n) + R"(","host":"app-node-1","payload":{"user_id":"user-)" +
        std::to_string(n % 9973) +
        R"j(","ip_address":"8.8.8.8","user_agent":"Mozilla/5.0 (X11; Linux x86_64)"},)j"
        R"("labels":{"env":"production","region":"ap-south-1"}})");
  }
  return events;
}

double CompressorAloneMBps(const std::vector<std::string>& events, size_t batch_size) {
  lp::archiver::Compressor compressor(lp::archiver::Compression::kGzip);
  size_t raw = 0;
  const auto start = Clock::now();
  for (size_t first = 0; first < events.size(); first += batch_size) {
    std::string ndjson;
    for (size_t n = first; n < std::min(events.size(), first + batch_size); ++n) {
      ndjson += events[n];
      ndjson.push_back('\n');
    }
    raw += ndjson.size();
    if (!compressor.Compress(ndjson)) std::exit(1);
  }
  return static_cast<double>(raw) / 1e6 /
         std::chrono::duration<double>(Clock::now() - start).count();
}

double ArchiverMBps(const std::vector<std::string>& events, size_t batch_size, size_t workers,
                    const std::filesystem::path& folder) {
  lp::metrics::Registry registry;
  auto spool = lp::queue::spool::Spool::Open({.directory = folder / "spool",
                                              .partitions = 6,
                                              .fsync = lp::queue::spool::FsyncPolicy::kNever},
                                             registry);
  if (!spool) std::exit(1);
  size_t raw = 0;
  for (size_t first = 0; first < events.size(); first += 1000) {
    std::vector<lp::queue::OutgoingRecord> records;
    for (size_t n = first; n < std::min(events.size(), first + 1000); ++n) {
      records.push_back({kServices[n % 6], events[n], 1'761'827'696'789, {}});
      raw += events[n].size() + 1;
    }
    std::promise<lp::Result<void>> done;
    (*spool)->Produce("app-logs", records,
                      [&](lp::Result<void> result) { done.set_value(result); });
    if (!done.get_future().get()) std::exit(1);
  }
  lp::objectstore::local::LocalObjectStore store(folder / "archive");
  lp::archiver::ArchiverMetrics metrics(registry);
  lp::queue::ConsumerLagMetrics lag(registry);
  lp::archiver::Archiver archiver({.workers = workers,
                                   .batch_size = batch_size,
                                   .batch_max_bytes = 1ULL << 40,
                                   .batch_timeout = std::chrono::hours(1)},
                                  **spool, store, metrics, lag);
  const auto start = Clock::now();
  if (!archiver.Start()) std::exit(1);
  // Batches that stay short of the size close on Stop, which is part of the measured time.
  while (metrics.messages_consumed.Value() < events.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  archiver.Stop();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (metrics.messages_archived.Value() != events.size()) {
    std::fprintf(stderr, "archived %llu of %zu\n",
                 static_cast<unsigned long long>(metrics.messages_archived.Value()), events.size());
    std::exit(1);
  }
  return static_cast<double>(raw) / 1e6 / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Archiver throughput benchmark"};
  size_t count = 500'000;
  std::vector<size_t> batch_sizes{100, 10'000};
  std::vector<size_t> worker_counts{1, 2};
  std::string work_dir = std::filesystem::temp_directory_path().string();
  app.add_option("--events", count, "Events per run")->capture_default_str();
  app.add_option("--batch-size", batch_sizes, "Batch sizes to measure")->capture_default_str();
  app.add_option("--workers", worker_counts, "Archiver workers (consumer group members) to measure")
      ->capture_default_str();
  app.add_option("--work-dir", work_dir, "Where the spool and the archive go")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto events = SeedEvents(count);
  size_t bytes = 0;
  for (const auto& event : events) bytes += event.size() + 1;
  std::printf("payload: %zu seed-schema events, %.1f MB of NDJSON, 6 partitions, one date\n",
              events.size(), static_cast<double>(bytes) / 1e6);
  const auto folder =
      std::filesystem::path(work_dir) / ("logpipe_archiver_bench_" + std::to_string(::getpid()));
  for (const size_t batch_size : batch_sizes) {
    const double alone = CompressorAloneMBps(events, batch_size);
    for (const size_t workers : worker_counts) {
      std::filesystem::remove_all(folder);
      const double archived = ArchiverMBps(events, batch_size, workers, folder);
      std::filesystem::remove_all(folder);
      std::printf(
          "batch %6zu, %zu worker(s): archiver %7.1f MB/s   libdeflate gzip alone (1 core) %7.1f "
          "MB/s   ratio %.3f\n",
          batch_size, workers, archived, alone, archived / alone);
      std::fflush(stdout);
    }
  }
  return 0;
}
