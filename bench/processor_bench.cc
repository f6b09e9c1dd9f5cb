// Events/s through the real processor (spool read, validate, normalize, GeoIP, store write,
// commit), one worker on one core, into a store that keeps nothing and into SQLite; each as a
// ratio to simdjson merely parsing the same records in the same run.
// Run: scripts/bench processor [--events N] [--sqlite-events N] [--geoip PATH]
//      scripts/bench processor --es (into a real OpenSearch node, its CPU beside ours)
#include <simdjson.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "processor/processor.h"
#include "queue/spool/spool.h"
#include "search/elastic/elastic_search_store.h"
#include "search/sqlite/sqlite_search_store.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kServices[] = {"webapp-frontend", "payment-service", "auth-service",
                                     "inventory",       "search-api",      "checkout"};
constexpr const char* kLevels[] = {"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"};
// A handful of public addresses, as real traffic repeats its clients.
constexpr const char* kAddresses[] = {
    "8.8.8.8",     "1.1.1.1",  "81.2.69.160",     "2001:4860:4860::8888",
    "203.0.113.9", "10.0.0.7", "185.199.108.153", "9.9.9.9"};

// Seed-schema events of about 380 bytes, as the collector stores them.
std::vector<std::string> SeedEvents(size_t count) {
  std::vector<std::string> events;
  events.reserve(count);
  for (size_t n = 0; n < count; ++n) {
    events.push_back(std::string(R"({"timestamp":"2025-10-30T12:34:56.789Z","service":")") +
                     kServices[n % 6] + R"(","level":")" + kLevels[n % 6] +
                     R"(","message":"User logged in successfully evt-)" + std::to_string(n) +
                     R"(","trace_id":"trace-)" + std::to_string(n) + R"(","request_id":"req-)" +
                     std::to_string(n) + R"(","host":"app-node-1","payload":{"user_id":"user-)" +
                     std::to_string(n % 9973) + R"(","ip_address":")" + kAddresses[n % 8] +
                     R"j(","user_agent":"Mozilla/5.0 (X11; Linux x86_64)"},)j"
                     R"("labels":{"env":"production","region":"ap-south-1"}})");
  }
  return events;
}

double SimdjsonParsesPerSecond(const std::vector<std::string>& events) {
  simdjson::dom::parser parser;
  std::vector<simdjson::padded_string> padded(events.begin(), events.end());
  size_t fields = 0;
  const auto start = Clock::now();
  for (const auto& event : padded) {
    simdjson::dom::object object;
    if (parser.parse(event).get_object().get(object) == simdjson::SUCCESS) fields += object.size();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (fields == 0) std::abort();
  return static_cast<double>(events.size()) / seconds;
}

// Accepts every document and keeps none: what is left is the processor's own cost.
class NullStore final : public lp::search::SearchStore {
 public:
  lp::Result<std::vector<lp::search::DocumentOutcome>> Write(
      std::span<const lp::search::SearchDocument> documents) override {
    return std::vector<lp::search::DocumentOutcome>(documents.size());
  }
  lp::Result<lp::search::SearchPage> Search(const lp::search::SearchQuery&) override {
    return lp::search::SearchPage{};
  }
  lp::Result<lp::search::SearchHit> Get(std::string_view id) override {
    return lp::NotFound("no document " + std::string(id));
  }
  lp::Result<std::vector<lp::search::HistogramBucket>> Histogram(
      const lp::search::SearchQuery&, const lp::search::HistogramRequest&) override {
    return std::vector<lp::search::HistogramBucket>{};
  }
  lp::Result<lp::search::Facets> Facet(const lp::search::SearchQuery&, std::string_view,
                                       size_t) override {
    return lp::search::Facets{};
  }
  lp::Result<uint64_t> DeleteArrivedBefore(int64_t) override { return uint64_t{0}; }
};

// Spools the events, then times one processor worker from start to the last commit.
double ProcessAll(const std::vector<std::string>& events, lp::search::SearchStore& store,
                  const lp::processor::GeoIpDatabase* geoip, const std::filesystem::path& folder,
                  size_t workers = 1) {
  lp::metrics::Registry registry;
  auto spool = lp::queue::spool::Spool::Open({.directory = folder / "spool",
                                              .partitions = 6,
                                              .fsync = lp::queue::spool::FsyncPolicy::kNever},
                                             registry);
  if (!spool) {
    std::fprintf(stderr, "spool: %s\n", spool.error().message.c_str());
    std::exit(1);
  }
  constexpr size_t kBatch = 1000;
  for (size_t first = 0; first < events.size(); first += kBatch) {
    std::vector<lp::queue::OutgoingRecord> records;
    for (size_t n = first; n < std::min(events.size(), first + kBatch); ++n) {
      records.push_back({kServices[n % 6], events[n], 1'761'827'696'789, {}});
    }
    std::promise<lp::Result<void>> done;
    (*spool)->Produce("app-logs", records,
                      [&](lp::Result<void> result) { done.set_value(result); });
    if (!done.get_future().get()) std::exit(1);
  }

  lp::processor::ProcessorMetrics metrics(registry);
  lp::queue::ConsumerLagMetrics lag(registry);
  lp::processor::Processor processor({.workers = workers, .batch_size = 1000, .geoip = geoip},
                                     **spool, store, metrics, lag);
  const auto start = Clock::now();
  if (!processor.Start()) std::exit(1);
  while (metrics.es_write_success.Value() + metrics.dlq_events.Value() < events.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  processor.Stop();
  if (metrics.dlq_events.Value() != 0) {
    std::fprintf(stderr, "unexpected dead letters: %llu\n",
                 static_cast<unsigned long long>(metrics.dlq_events.Value()));
    std::exit(1);
  }
  return static_cast<double>(events.size()) / seconds;
}

// CPU seconds (user + system) a process has used so far, from /proc.
double CpuSeconds(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The median of `runs` measurements: on a small shared machine single runs vary by ±30%.
template <typename Measure>
double Median(int runs, Measure&& measure) {
  std::vector<double> results;
  for (int i = 0; i < runs; ++i) results.push_back(measure(i));
  std::sort(results.begin(), results.end());
  return results[results.size() / 2];
}

void Report(const char* name, double events_per_second, double baseline) {
  std::printf("%-34s %12.0f events/s   ratio to simdjson parse %.3f\n", name, events_per_second,
              events_per_second / baseline);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Processor throughput benchmark"};
  size_t null_events = 500'000;
  size_t sqlite_events = 200'000;
  std::string es_hosts;
  std::string es_pid;
  size_t es_events = 200'000;
  std::string geoip_path;
  std::string work_dir = std::filesystem::temp_directory_path().string();
  int runs = 3;
  app.add_option("--events", null_events, "Events through the null store")->capture_default_str();
  app.add_option("--sqlite-events", sqlite_events, "Events into SQLite")->capture_default_str();
  app.add_option("--geoip", geoip_path, "GeoIP database (file or folder)")->required();
  app.add_option("--runs", runs, "Measurements per figure; the median is shown")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--work-dir", work_dir, "Where the spool and SQLite files go")
      ->capture_default_str();
  app.add_option("--es", es_hosts,
                 "Measure only the processor into this Elasticsearch/OpenSearch (base URL)");
  app.add_option("--es-pid", es_pid, "The search node's process, to show its CPU beside ours");
  app.add_option("--es-events", es_events, "Events into the node")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto geoip = lp::processor::GeoIpDatabase::Open(geoip_path);
  if (!geoip) {
    std::fprintf(stderr, "%s\n", geoip.error().message.c_str());
    return 1;
  }
  const auto folder =
      std::filesystem::path(work_dir) / ("logpipe_processor_bench_" + std::to_string(::getpid()));

  const auto events = SeedEvents(null_events);
  size_t bytes = 0;
  for (const auto& event : events) bytes += event.size();
  std::printf("payload: %zu seed-schema events, %zu bytes each on average, 8 client addresses\n",
              events.size(), bytes / events.size());

  const double parse = Median(runs, [&](int) { return SimdjsonParsesPerSecond(events); });
  Report("simdjson DOM parse only", parse, parse);

  std::filesystem::remove_all(folder);
  const auto run_folder = [&](const char* name, int run) {
    return folder / (std::string(name) + "-" + std::to_string(run));
  };
  if (!es_hosts.empty()) {
    const std::vector<std::string> es_list(
        events.begin(), events.begin() + static_cast<long>(std::min(es_events, events.size())));
    for (const size_t workers : {size_t{1}, size_t{2}}) {
      const std::string prefix =
          "bench-" + std::to_string(::getpid()) + "-" + std::to_string(workers);
      auto store = lp::search::elastic::ElasticSearchStore::Open({.client = {.hosts = {es_hosts}},
                                                                  .index_prefix = prefix,
                                                                  .alias = prefix + "-write",
                                                                  .replicas = 0});
      if (!store) {
        std::fprintf(stderr, "%s\n", store.error().message.c_str());
        return 1;
      }
      const double our_cpu = CpuSeconds(std::to_string(::getpid()));
      const double node_cpu = es_pid.empty() ? 0 : CpuSeconds(es_pid);
      const auto start = Clock::now();
      const double rate =
          ProcessAll(es_list, **store, geoip->get(), run_folder(prefix.c_str(), 0), workers);
      const double wall = std::chrono::duration<double>(Clock::now() - start).count();
      std::printf(
          "processor -> OpenSearch _bulk, GeoIP, %zu worker(s): %.0f documents/s; "
          "CPU logpipe %.0f %%, node %s\n",
          workers, rate, 100 * (CpuSeconds(std::to_string(::getpid())) - our_cpu) / wall,
          es_pid.empty()
              ? "not measured"
              : (std::to_string(static_cast<int>(100 * (CpuSeconds(es_pid) - node_cpu) / wall)) +
                 " %")
                    .c_str());
    }
    std::filesystem::remove_all(folder);
    return 0;
  }
  NullStore null_store;
  Report("processor -> null store, no GeoIP",
         Median(runs,
                [&](int run) {
                  return ProcessAll(events, null_store, nullptr, run_folder("null", run));
                }),
         parse);
  Report("processor -> null store, GeoIP",
         Median(runs,
                [&](int run) {
                  return ProcessAll(events, null_store, geoip->get(),
                                    run_folder("null-geoip", run));
                }),
         parse);

  const std::vector<std::string> sqlite_events_list(
      events.begin(), events.begin() + static_cast<long>(std::min(sqlite_events, events.size())));
  const auto into_sqlite = [&](const char* name, size_t workers) {
    return Median(runs, [&](int run) {
      auto store = lp::search::sqlite::SqliteSearchStore::Open(run_folder(name, run) / "search" /
                                                               "search.db");
      if (!store) {
        std::fprintf(stderr, "%s\n", store.error().message.c_str());
        std::exit(1);
      }
      return ProcessAll(sqlite_events_list, **store, geoip->get(), run_folder(name, run), workers);
    });
  };
  Report("processor -> SQLite FTS5, GeoIP", into_sqlite("sqlite", 1), parse);
  Report("  the same, 2 workers", into_sqlite("sqlite-2", 2), parse);
  std::filesystem::remove_all(folder);
  return 0;
}
