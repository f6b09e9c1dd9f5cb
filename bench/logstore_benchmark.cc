// The embedded log store on its own (no HTTP, no queue): write cost per event (buffer + part
// writing + merges) and query times over 1M varied events, and the size on disk against the raw
// NDJSON. Run: build/release/bench/logstore_benchmark (set LOGSTORE_BENCH_EVENTS to change 1M).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/timestamp.h"
#include "search/logstore/log_store.h"

namespace {

using lp::search::SearchDocument;
using lp::search::SearchQuery;
using lp::search::logstore::LogStore;

int64_t Events() {
  const char* text = std::getenv("LOGSTORE_BENCH_EVENTS");
  return text != nullptr ? std::atoll(text) : 1'000'000;
}

// Deterministic varied events: 200 services (skewed), 2000 hosts, 40 message templates with
// numbers and ids, unique trace ids, timestamps over 7 days; "zyxwvu<n>" appears once per 1M.
class Generator {
 public:
  SearchDocument Next() {
    static const char* kTemplates[] = {
        "User %u logged in successfully from the mobile app",
        "Payment %u declined by issuer: insufficient funds",
        "GET /api/v1/orders/%u returned 200 in %u ms",
        "Cache miss for key session:%u, loading from database",
        "Connection to db-%u timed out after %u ms, retrying",
        "Order %u shipped to warehouse %u",
        "Rate limit exceeded for client %u",
        "Background job %u finished in %u ms",
    };
    static const char* kLevels[] = {"INFO",  "INFO", "INFO",  "INFO",
                                    "DEBUG", "WARN", "ERROR", "INFO"};
    const uint64_t n = next_++;
    const uint64_t r = Mix(n);
    SearchDocument document;
    document.id = "app-logs-" + std::to_string(n % 8) + "-" + std::to_string(n / 8);
    document.timestamp_ms = 1'761'827'696'789 +
                            static_cast<int64_t>(n * 604'800'000ULL / 1'000'000ULL) +
                            static_cast<int64_t>(r % 5000) - 2500;
    const uint64_t service = (r >> 8) % 100 < 60 ? (r >> 16) % 10 : (r >> 16) % 200;
    document.service = "service-" + std::to_string(service);
    document.level = kLevels[(r >> 24) % 8];
    char message[160];
    std::snprintf(message, sizeof(message), kTemplates[(r >> 28) % 8],
                  static_cast<unsigned>((r >> 32) % 100000),
                  static_cast<unsigned>((r >> 40) % 3000));
    document.message = message;
    if (n % 1'000'000 == 123'457) document.message += " zyxwvu" + std::to_string(n);
    document.json.reserve(420);
    document.json = R"({"timestamp":")";
    lp::AppendRfc3339Millis(document.json, document.timestamp_ms);
    document.json += R"(","service":")" + document.service + R"(","level":")" + document.level +
                     R"(","message":")" + document.message + R"(","trace_id":"trace-)" +
                     std::to_string(r) + R"(","request_id":"req-)" + std::to_string(n) +
                     R"(","host":"host-)" + std::to_string((r >> 12) % 2000) +
                     R"(","payload":{"user_id":"user-)" + std::to_string((r >> 20) % 50000) +
                     R"(","ip_address":"10.)" + std::to_string((r >> 30) % 256) + "." +
                     std::to_string((r >> 38) % 256) + R"(.7","status":)" +
                     std::to_string(200 + (r >> 44) % 4 * 100) +
                     R"(},"labels":{"env":"production","region":"ap-south-1"}})";
    document.source_partition = static_cast<int32_t>(n % 8);
    document.source_offset = static_cast<int64_t>(n / 8);
    return document;
  }

 private:
  static uint64_t Mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  uint64_t next_ = 0;
};

std::filesystem::path Folder(const char* name) {
  return std::filesystem::temp_directory_path() /
         (std::string("logpipe_logstore_bench_") + name + "_" + std::to_string(::getpid()));
}

struct Loaded {
  lp::metrics::Registry registry;
  std::unique_ptr<LogStore> store;
  uint64_t raw_bytes = 0;
  std::filesystem::path folder;
};

// Writes Events() events in batches of 1000 as the processor does, with the store's own
// background flushes and merges, then waits for merges to settle.
Loaded& Load() {
  static Loaded* loaded = [] {
    auto* result = new Loaded();
    result->folder = Folder("query");
    std::filesystem::remove_all(result->folder);
    auto store = LogStore::Open({.directory = result->folder}, result->registry);
    if (!store) std::abort();
    result->store = std::move(*store);
    Generator generator;
    std::vector<SearchDocument> batch;
    for (int64_t n = 0; n < Events();) {
      batch.clear();
      for (int i = 0; i < 1000 && n < Events(); ++i, ++n) {
        batch.push_back(generator.Next());
        result->raw_bytes += batch.back().json.size() + 1;
      }
      while (!result->store->Write(batch)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // Buffer full: let it flush.
      }
    }
    if (!result->store->Flush()) std::abort();
    while (*result->store->MergeOnce()) {
    }
    return result;
  }();
  return *loaded;
}

void Report(benchmark::State& state) {
  auto& loaded = Load();
  uint64_t disk = 0;
  for (const auto& entry : std::filesystem::directory_iterator(loaded.folder)) {
    disk += entry.file_size();
  }
  state.counters["events"] = static_cast<double>(Events());
  state.counters["parts"] = static_cast<double>(loaded.store->PartCount());
  state.counters["disk_pct_of_raw"] = 100.0 * static_cast<double>(disk) / loaded.raw_bytes;
}

void BM_WriteAndFlush(benchmark::State& state) {
  // Buffer writes plus writing them as parts (level-1 zstd, blooms), per event; no merges.
  const auto folder = Folder("write");
  lp::metrics::Registry registry;
  std::filesystem::remove_all(folder);
  auto store = LogStore::Open({.directory = folder, .background = false}, registry);
  Generator generator;
  std::vector<std::vector<SearchDocument>> batches(200);
  for (auto& batch : batches) {
    for (int i = 0; i < 1000; ++i) batch.push_back(generator.Next());
  }
  for (auto _ : state) {
    for (const auto& batch : batches) {
      if (!(*store)->Write(batch)) state.SkipWithError("write failed");
    }
    if (!(*store)->Flush()) state.SkipWithError("flush failed");
    state.PauseTiming();
    // The same ids again would be upserts: time fresh ones.
    for (auto& batch : batches) {
      for (auto& document : batch) document = generator.Next();
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 200'000);
  store->reset();
  std::filesystem::remove_all(folder);
}
BENCHMARK(BM_WriteAndFlush)->Unit(benchmark::kMillisecond)->Iterations(5);

void Query(benchmark::State& state, SearchQuery query) {
  auto& store = *Load().store;
  uint64_t total = 0;
  for (auto _ : state) {
    auto page = store.Search(query);
    if (!page) state.SkipWithError(page.error().message.c_str());
    total = page->total;
  }
  state.counters["total"] = static_cast<double>(total);
  Report(state);
}

void BM_Newest100(benchmark::State& state) { Query(state, {}); }
void BM_RareToken(benchmark::State& state) { Query(state, {.text = "zyxwvu123457"}); }
void BM_ServiceAndLevel(benchmark::State& state) {
  Query(state, {.service = "service-3", .level = "ERROR"});
}
void BM_CommonWord(benchmark::State& state) { Query(state, {.text = "declined"}); }
void BM_HistogramAllByLevel(benchmark::State& state) {
  auto& store = *Load().store;
  for (auto _ : state) {
    auto buckets = store.Histogram({}, 3'600'000);
    if (!buckets) state.SkipWithError(buckets.error().message.c_str());
  }
  Report(state);
}
void BM_HistogramOneService(benchmark::State& state) {
  auto& store = *Load().store;
  for (auto _ : state) {
    auto buckets = store.Histogram({.service = "service-3"}, 3'600'000);
    if (!buckets) state.SkipWithError(buckets.error().message.c_str());
  }
}
void BM_ColdOpen(benchmark::State& state) {
  const auto folder = Load().folder;
  for (auto _ : state) {
    lp::metrics::Registry registry;
    auto store = LogStore::Open({.directory = folder, .background = false}, registry);
    if (!store) state.SkipWithError(store.error().message.c_str());
    state.PauseTiming();
    // Keep the files: Stop would write nothing (empty buffer).
    store->reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_Newest100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RareToken)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ServiceAndLevel)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CommonWord)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HistogramAllByLevel)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HistogramOneService)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ColdOpen)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
