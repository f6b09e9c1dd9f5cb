#include "app/components.h"

#include <cstdlib>

#include "core/file_util.h"
#include "core/json_escape.h"
#include "core/logging.h"
#include "objectstore/local/local_object_store.h"
#include "objectstore/s3/s3_object_store.h"
#include "queue/kafka/kafka_queue.h"
#include "queue/spool/spool.h"
#ifdef LOGPIPE_FAULT_INJECTION
#include "queue/testing/stalled_queue.h"
#endif
#include "search/elastic/elastic_search_store.h"
#include "search/logstore/log_store.h"
#include "search/sqlite/sqlite_search_store.h"

namespace lp::app {
namespace {

const Logger& Log() {
  static const Logger logger("app");
  return logger;
}

// Test builds only (LOGPIPE_FAULT_INJECTION): LOGPIPE_FAULT_STALL_CONSUMERS=1 makes every
// consumer of this process receive nothing, so that overload tests fill the queue for certain.
OpenedQueue WithInjectedFaults(OpenedQueue opened) {
#ifdef LOGPIPE_FAULT_INJECTION
  if (const char* stall = std::getenv("LOGPIPE_FAULT_STALL_CONSUMERS");
      stall != nullptr && std::string_view(stall) == "1") {
    Log().Warn("fault injection: consumers receive nothing (LOGPIPE_FAULT_STALL_CONSUMERS)");
    opened.queue = queue::testing::StallConsumers(std::move(opened.queue));
  }
#endif
  return opened;
}

}  // namespace

Result<OpenedQueue> OpenQueue(const Config& config, metrics::Registry& registry) {
  if (!config.KafkaCluster().empty()) {
    auto kafka = queue::kafka::KafkaQueue::Open(
        {.brokers = config.KafkaCluster(),
         .producer_properties = config.kafka_producer_properties,
         .consumer_properties = config.kafka_consumer_properties,
         .compression = config.kafka_compression,
         .topics = {config.input_topic, config.dlq_topic},
         .topic_partitions = static_cast<int32_t>(config.kafka_topic_partitions),
         .partially_failed_records =
             &registry
                  .AddCounter("queue_partially_failed_records_total",
                              "Records Kafka acknowledged in produce calls answered with an error "
                              "(a client retrying the call stores them twice).")
                  .WithLabels({})});
    if (!kafka) return tl::unexpected(kafka.error());
    Log().Info("queue: Kafka", {{"brokers", config.KafkaCluster()}, {"topic", config.input_topic}});
    auto* flushable = kafka->get();
    return WithInjectedFaults(OpenedQueue{
        std::move(*kafka), [flushable] { flushable->Flush(std::chrono::seconds(10)); }});
  }
  const auto fsync = queue::spool::ParseFsyncPolicy(config.spool_fsync);
  auto spool = queue::spool::Spool::Open(
      queue::spool::SpoolOptions{
          .directory = config.data_dir / "spool",
          .partitions = static_cast<int32_t>(config.spool_partitions),
          .fsync = fsync.value_or(queue::spool::FsyncPolicy::kInterval),
          .fsync_interval = config.spool_fsync_interval,
          .segment_bytes = config.spool_segment_bytes,
          .max_bytes = config.spool_max_bytes,
          .retention = config.spool_retention,
      },
      registry);
  if (!spool) return tl::unexpected(spool.error());
  auto* stoppable = spool->get();
  return WithInjectedFaults(OpenedQueue{std::move(*spool), [stoppable] { stoppable->Stop(); }});
}

Result<std::unique_ptr<search::SearchStore>> OpenSearchStore(const Config& config,
                                                             metrics::Registry& registry) {
  if (config.es_hosts.empty() && config.search_store == "sqlite") {
    auto store = search::sqlite::SqliteSearchStore::Open(config.data_dir / "search" / "search.db");
    if (!store) return tl::unexpected(store.error());
    Log().Info("search store: SQLite FTS5 (SEARCH_STORE=sqlite)");
    return std::unique_ptr<search::SearchStore>(std::move(*store));
  }
  if (config.es_hosts.empty()) {
    // A data dir of the SQLite era keeps its search.db untouched beside the log store; the log
    // store, new, resumes every partition from the start of the spool (README: migration).
    const auto folder = config.data_dir / "search" / "logstore";
    auto store = search::logstore::LogStore::Open(
        {.directory = folder, .retention_bytes = config.search_retention_bytes}, registry);
    if (!store) return tl::unexpected(store.error());
    Log().Info("search store: embedded log store", {{"folder", folder.string()}});
    return std::unique_ptr<search::SearchStore>(std::move(*store));
  }
  std::vector<std::string> hosts;
  for (size_t start = 0; start <= config.es_hosts.size();) {
    const size_t comma = std::min(config.es_hosts.find(',', start), config.es_hosts.size());
    std::string host = config.es_hosts.substr(start, comma - start);
    while (!host.empty() && host.back() == '/') host.pop_back();
    if (!host.empty()) hosts.push_back(std::move(host));
    start = comma + 1;
  }
  auto store = search::elastic::ElasticSearchStore::Open(
      {.client = {.hosts = hosts,
                  .username = config.es_username,
                  .password = config.es_password.reveal(),
                  .api_key = config.es_api_key.reveal(),
                  .ca_file = config.es_ca_file,
                  .verify_tls = config.es_tls_verify == "true"},
       .index_prefix = config.es_index_prefix,
       .alias = config.es_index_alias,
       .replicas = static_cast<int>(config.es_replicas),
       .delete_after_days = static_cast<int>(config.search_retention_days)});
  if (!store) return tl::unexpected(store.error());
  Log().Info("search store: Elasticsearch/OpenSearch",
             {{"hosts", config.es_hosts}, {"alias", config.es_index_alias}});
  return std::unique_ptr<search::SearchStore>(std::move(*store));
}

std::unique_ptr<processor::GeoIpDatabase> OpenGeoIp(const std::filesystem::path& path) {
  if (path.empty()) {
    Log().Warn("no GeoIP database configured (GEOIP_DB_PATH); events get no geo fields");
    return nullptr;
  }
  auto database = processor::GeoIpDatabase::Open(path);
  if (!database) {
    Log().Warn("GeoIP enrichment skipped", {{"error", database.error().message}});
    return nullptr;
  }
  std::string files;
  for (const auto& file : (*database)->files()) {
    if (!files.empty()) files.push_back(',');
    files += file.string();
  }
  Log().Info("GeoIP enrichment on", {{"files", files}});
  return std::move(*database);
}

Result<std::unique_ptr<objectstore::ObjectStore>> OpenArchive(const Config& config) {
  if (config.s3_endpoint.empty()) {
    const auto folder =
        config.archive_dir.empty() ? config.data_dir / "archive" : config.archive_dir;
    // A folder the archiver cannot write would only show as uploads retried forever.
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    const auto probe = folder / ".logpipe-write-check";
    if (!error) {
      if (auto written = ReplaceFileAtomically(probe, ""); !written) {
        return Permanent("archive-dir (ARCHIVE_DIR): cannot write into " + folder.string() + ": " +
                         written.error().message);
      }
      std::filesystem::remove(probe, error);
    }
    if (error) {
      return Permanent("archive-dir (ARCHIVE_DIR): cannot use " + folder.string() + ": " +
                       error.message());
    }
    Log().Info("archiving into a local folder", {{"folder", folder.string()}});
    return std::make_unique<objectstore::local::LocalObjectStore>(folder);
  }
  auto store = objectstore::s3::S3ObjectStore::Create(
      {.endpoint = config.s3_endpoint,
       .region = config.s3_region,
       .access_key_id = config.aws_access_key_id,
       .secret_access_key = config.aws_secret_access_key.reveal(),
       .ca_file = config.s3_ca_file});
  if (!store) return tl::unexpected(store.error());
  Log().Info("archiving into S3", {{"endpoint", config.s3_endpoint}, {"bucket", config.s3_bucket}});
  return std::unique_ptr<objectstore::ObjectStore>(std::move(*store));
}

std::vector<http::Route> HealthRoutes(queue::Queue& queue, const Readiness& readiness) {
  const http::Handler ready = [&queue, &readiness](http::Request&, http::Responder respond) {
    auto problems = readiness.Problems();
    if (const auto ready = queue.CheckReady(); !ready) {
      problems.insert(problems.begin(), "queue: " + ready.error().message);
    }
    if (problems.empty()) return respond(http::JsonResponse(200, R"({"status":"ready"})"));
    // `reason` is the first problem (as before); `reasons` lists them all.
    std::string body = R"({"status":"not ready","reason":")";
    AppendJsonEscaped(body, problems.front());
    body += R"(","reasons":[)";
    for (size_t i = 0; i < problems.size(); ++i) {
      body += i == 0 ? "\"" : ",\"";
      AppendJsonEscaped(body, problems[i]);
      body += '"';
    }
    body += "]}";
    respond(http::JsonResponse(503, std::move(body)));
  };
  return {
      http::Route{"GET", "/healthz",
                  [](http::Request&, http::Responder respond) {
                    respond(http::JsonResponse(200, R"({"status":"ok"})"));
                  }},
      http::Route{"GET", "/readyz", ready},
      // Loki's readiness path, which its clients and load balancers probe.
      http::Route{"GET", "/ready", ready},
  };
}

http::Route MetricsRoute(metrics::Registry& registry) {
  return http::Route{"GET", "/metrics", [&registry](http::Request&, http::Responder respond) {
                       http::Response response;
                       response.content_type = "text/plain; version=0.0.4";
                       response.body = registry.RenderText();
                       respond(std::move(response));
                     }};
}

}  // namespace lp::app
