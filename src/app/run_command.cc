#include "app/run_command.h"

#include <cstdio>
#include <thread>

#include "api/replay_api.h"
#include "api/search_api.h"
#include "app/signals.h"
#include "archiver/archiver.h"
#include "collector/collector_metrics.h"
#include "collector/ingest_handler.h"
#include "core/json_escape.h"
#include "core/logging.h"
#include "http/server.h"
#include "objectstore/local/local_object_store.h"
#include "objectstore/s3/s3_object_store.h"
#include "processor/processor.h"
#include "queue/spool/spool.h"
#include "search/retention.h"
#include "search/sqlite/sqlite_search_store.h"

namespace lp::app {
namespace {

const Logger& Log() {
  static const Logger logger("app");
  return logger;
}

LogSeverity SeverityFromName(const std::string& name) {
  if (name == "debug") return LogSeverity::kDebug;
  if (name == "warn") return LogSeverity::kWarn;
  if (name == "error") return LogSeverity::kError;
  return LogSeverity::kInfo;
}

std::vector<http::Route> HealthRoutes(queue::Queue& queue) {
  return {
      http::Route{"GET", "/healthz",
                  [](http::Request&, http::Responder respond) {
                    respond(http::JsonResponse(200, R"({"status":"ok"})"));
                  }},
      http::Route{"GET", "/readyz",
                  [&queue](http::Request&, http::Responder respond) {
                    const auto ready = queue.CheckReady();
                    if (ready) return respond(http::JsonResponse(200, R"({"status":"ready"})"));
                    std::string body = R"({"status":"not ready","reason":")";
                    AppendJsonEscaped(body, ready.error().message);
                    body += "\"}";
                    respond(http::JsonResponse(503, std::move(body)));
                  }},
  };
}

// Without a database the pipeline still runs; it says so once, here, and skips enrichment.
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

// S3 when an endpoint is configured, the local folder otherwise.
Result<std::unique_ptr<objectstore::ObjectStore>> OpenArchive(const Config& config) {
  if (config.s3_endpoint.empty()) {
    const auto folder =
        config.archive_dir.empty() ? config.data_dir / "archive" : config.archive_dir;
    Log().Info("archiving into a local folder", {{"folder", folder.string()}});
    return std::make_unique<objectstore::local::LocalObjectStore>(folder);
  }
  auto store = objectstore::s3::S3ObjectStore::Create(
      {.endpoint = config.s3_endpoint,
       .region = config.s3_region,
       .access_key_id = config.aws_access_key_id,
       .secret_access_key = config.aws_secret_access_key.reveal()});
  if (!store) return tl::unexpected(store.error());
  Log().Info("archiving into S3", {{"endpoint", config.s3_endpoint}, {"bucket", config.s3_bucket}});
  return std::unique_ptr<objectstore::ObjectStore>(std::move(*store));
}

}  // namespace

int RunEmbedded(const Config& config) {
  Logger::SetMinimumSeverity(SeverityFromName(config.log_level));
  {
    std::string effective;
    for (const auto& setting : Settings())
      effective += " " + setting.name + "=" + setting.show(config);
    Log().Info("starting logpipe run", {{"config", effective.substr(1)}});
  }

  metrics::Registry registry;
  http::HttpMetrics http_metrics(registry);
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
  if (!spool) {
    Log().Error("cannot open the spool", {{"error", spool.error().message}});
    return 1;
  }
  auto store = search::sqlite::SqliteSearchStore::Open(config.data_dir / "search" / "search.db");
  if (!store) {
    Log().Error("cannot open the search store", {{"error", store.error().message}});
    return 1;
  }
  search::Retention search_retention(**store,
                                     std::chrono::hours(24) * config.search_retention_days);
  search_retention.Start();
  const auto geoip = OpenGeoIp(config.geoip_db_path);
  processor::ProcessorMetrics processor_metrics(registry);
  queue::ConsumerLagMetrics lag_metrics(registry);
  processor::Processor processor(
      processor::ProcessorOptions{.event_limits = {.max_event_bytes = config.max_event_bytes},
                                  .geoip = geoip.get()},
      **spool, **store, processor_metrics, lag_metrics);
  if (auto started = processor.Start(); !started) {
    Log().Error("cannot start the processor", {{"error", started.error().message}});
    return 1;
  }
  auto archive = OpenArchive(config);
  if (!archive) {
    Log().Error("cannot set up the archive", {{"error", archive.error().message}});
    return 1;
  }
  archiver::ArchiverMetrics archiver_metrics(registry);
  archiver::Archiver archiver(
      archiver::ArchiverOptions{
          .bucket = config.s3_bucket,
          .batch_size = config.batch_size,
          .batch_max_bytes = config.batch_max_bytes,
          .batch_timeout = std::chrono::seconds(config.batch_timeout_seconds),
          .compression = archiver::ParseCompression(config.archive_compression)
                             .value_or(archiver::Compression::kGzip)},
      **spool, **archive, archiver_metrics, lag_metrics);
  if (auto started = archiver.Start(); !started) {
    Log().Error("cannot start the archiver", {{"error", started.error().message}});
    return 1;
  }
  api::SearchApi search_api(**store);
  replay::Replayer replayer(**archive, config.s3_bucket, **store, geoip.get(),
                            {.max_event_bytes = config.max_event_bytes});
  api::ReplayApi replay_api(replayer);

  collector::CollectorMetrics collector_metrics(registry);
  collector::IngestHandler ingest(
      collector::IngestOptions{
          .decode = {.max_body_bytes = config.max_body_bytes,
                     .event_limits = {.max_event_bytes = config.max_event_bytes}},
          .auth_token = config.auth_token.reveal()},
      **spool, collector_metrics);

  const size_t threads = config.http_threads != 0
                             ? config.http_threads
                             : std::max<size_t>(1, std::thread::hardware_concurrency());
  auto ingest_routes = HealthRoutes(**spool);
  ingest_routes.push_back(
      http::Route{"POST", "/logs", [&ingest](http::Request& request, http::Responder respond) {
                    ingest.HandleLogs(request, std::move(respond));
                  }});
  ingest_routes.push_back(http::Route{
      "GET", "/api/search", [&search_api](http::Request& request, http::Responder respond) {
        search_api.HandleSearch(request, std::move(respond));
      }});
  ingest_routes.push_back(http::Route{
      "GET", "/api/histogram", [&search_api](http::Request& request, http::Responder respond) {
        search_api.HandleHistogram(request, std::move(respond));
      }});
  ingest_routes.push_back(http::Route{
      "POST", "/api/replay", [&replay_api](http::Request& request, http::Responder respond) {
        replay_api.HandleStart(request, std::move(respond));
      }});
  ingest_routes.push_back(http::Route{
      "GET", "/api/replay", [&replay_api](http::Request& request, http::Responder respond) {
        replay_api.HandleStatus(request, std::move(respond));
      }});
  http::Server ingest_server(
      http::ServerOptions{.name = "ingest",
                          .address = config.listen_address,
                          .port = config.collector_port,
                          .threads = threads,
                          .max_body_bytes = config.max_body_bytes,
                          .max_connections = config.max_connections,
                          .max_inflight_body_bytes = config.max_inflight_bytes},
      std::move(ingest_routes), http_metrics);

  auto metrics_routes = HealthRoutes(**spool);
  metrics_routes.push_back(
      http::Route{"GET", "/metrics", [&registry](http::Request&, http::Responder respond) {
                    http::Response response;
                    response.content_type = "text/plain; version=0.0.4";
                    response.body = registry.RenderText();
                    respond(std::move(response));
                  }});
  http::Server metrics_server(http::ServerOptions{.name = "metrics",
                                                  .address = config.listen_address,
                                                  .port = config.metrics_port,
                                                  .threads = 1,
                                                  .max_body_bytes = 64 * 1024},
                              std::move(metrics_routes), http_metrics);

  for (auto* server : {&ingest_server, &metrics_server}) {
    if (auto started = server->Start(); !started) {
      Log().Error("cannot start HTTP server", {{"error", started.error().message}});
      return 1;
    }
  }
  const std::string host = config.listen_address.find(':') != std::string::npos
                               ? "[" + config.listen_address + "]"
                               : config.listen_address;
  std::printf("logpipe ready: POST events to http://%s:%u/logs  (metrics: http://%s:%u/metrics)\n",
              host.c_str(), ingest_server.port(), host.c_str(), metrics_server.port());
  std::fflush(stdout);

  const int signal_number = WaitForTerminationSignal();
  Log().Info("stopping", {{"signal", std::to_string(signal_number)}});
  // Answer what is in flight, let the processor finish its batch, make the spool durable, then
  // stop serving metrics.
  ingest_server.Stop(std::chrono::seconds(10));
  processor.Stop();
  archiver.Stop();
  search_retention.Stop();
  (*spool)->Stop();
  metrics_server.Stop(std::chrono::seconds(1));
  Log().Info("stopped");
  return 0;
}

}  // namespace lp::app
