// Write and query throughput of the embedded search store (SQLite FTS5), one batch per
// transaction as the processor writes. Run: build/release/bench/search_store_benchmark
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "search/query_language.h"
#include "search/sqlite/sqlite_search_store.h"

namespace {

std::vector<lp::search::SearchDocument> Batch(int64_t first, int64_t count) {
  static const char* kServices[] = {"webapp-frontend", "payment-service", "auth-service",
                                    "inventory", "search-api"};
  static const char* kLevels[] = {"INFO", "INFO", "WARN", "ERROR", "DEBUG"};
  std::vector<lp::search::SearchDocument> batch;
  for (int64_t n = first; n < first + count; ++n) {
    lp::search::SearchDocument document;
    document.id = "app-logs-0-" + std::to_string(n);
    document.timestamp_ms = 1'761'827'696'789 + n;
    document.service = kServices[n % 5];
    document.level = kLevels[n % 5];
    document.message =
        "User logged in successfully from the mobile app, session " + std::to_string(n);
    document.json = R"({"timestamp":"2025-10-30T12:34:56.789Z","service":")" + document.service +
                    R"(","level":")" + document.level + R"(","message":")" + document.message +
                    R"(","trace_id":"trace-abc123","request_id":"req-xyz789","host":"app-node-1",)"
                    R"("payload":{"user_id":"user-9876","ip_address":"8.8.8.8"},)"
                    R"("labels":{"env":"production","region":"ap-south-1"},)"
                    R"("geo":{"country_iso_code":"US","city_name":"Mountain View"}})";
    batch.push_back(std::move(document));
  }
  return batch;
}

std::filesystem::path FreshFile() {
  const auto folder = std::filesystem::temp_directory_path() /
                      ("logpipe_search_bench_" + std::to_string(::getpid()));
  std::filesystem::remove_all(folder);
  return folder / "search.db";
}

void BM_WriteBatches(benchmark::State& state) {
  const auto file = FreshFile();
  auto store = lp::search::sqlite::SqliteSearchStore::Open(file);
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  const int64_t batch_size = state.range(0);
  int64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto batch = Batch(next, batch_size);
    next += batch_size;
    state.ResumeTiming();
    auto written = (*store)->Write(batch);
    if (!written) state.SkipWithError(written.error().message.c_str());
  }
  state.SetItemsProcessed(next);
  store->reset();
  std::filesystem::remove_all(file.parent_path());
}
BENCHMARK(BM_WriteBatches)->Arg(100)->Arg(1000)->Arg(5000)->Unit(benchmark::kMillisecond);

void BM_SearchWordNewestFirst(benchmark::State& state) {
  const auto file = FreshFile();
  auto store = lp::search::sqlite::SqliteSearchStore::Open(file);
  for (int64_t first = 0; first < 200'000; first += 5000) {
    if (!(*store)->Write(Batch(first, 5000))) state.SkipWithError("write failed");
  }
  for (auto _ : state) {
    auto page = (*store)->Search(
        lp::search::SearchQuery{.filter = *lp::search::ParseQuery("mobile"), .limit = 100});
    benchmark::DoNotOptimize(page);
  }
  store->reset();
  std::filesystem::remove_all(file.parent_path());
}
BENCHMARK(BM_SearchWordNewestFirst)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
