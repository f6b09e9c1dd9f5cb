#include "app/run_command.h"

#include <cstdio>
#include <optional>
#include <thread>

#include "api/replay_api.h"
#include "api/search_api.h"
#include "app/components.h"
#include "app/signals.h"
#include "archiver/archiver.h"
#include "collector/collector_metrics.h"
#include "collector/ingest_handler.h"
#include "core/logging.h"
#include "core/process_metrics.h"
#include "http/server.h"
#include "processor/processor.h"
#include "search/elastic/elastic_search_store.h"
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

template <typename Handler>
http::Route RouteTo(std::string method, std::string path, Handler& handler,
                    void (Handler::*handle)(http::Request&, http::Responder)) {
  return http::Route{std::move(method), std::move(path),
                     [&handler, handle](http::Request& request, http::Responder respond) {
                       (handler.*handle)(request, std::move(respond));
                     }};
}

// The search store, its retention, enrichment and the processor consuming into it; the query
// and replay APIs over it.
struct ProcessorParts {
  std::unique_ptr<search::SearchStore> store;
  std::unique_ptr<search::Retention> retention;  ///< Embedded store only; clusters use ILM/ISM.
  std::unique_ptr<processor::GeoIpDatabase> geoip;
  std::unique_ptr<processor::ProcessorMetrics> metrics;
  std::unique_ptr<processor::Processor> processor;
  std::unique_ptr<objectstore::ObjectStore> archive;
  std::unique_ptr<api::SearchApi> search_api;
  std::unique_ptr<replay::Replayer> replayer;
  std::unique_ptr<api::ReplayApi> replay_api;

  [[nodiscard]] std::vector<http::Route> QueryRoutes() {
    return {RouteTo("GET", "/api/search", *search_api, &api::SearchApi::HandleSearch),
            RouteTo("GET", "/api/histogram", *search_api, &api::SearchApi::HandleHistogram),
            RouteTo("POST", "/api/replay", *replay_api, &api::ReplayApi::HandleStart),
            RouteTo("GET", "/api/replay", *replay_api, &api::ReplayApi::HandleStatus)};
  }
  void Stop() {
    processor->Stop();
    if (retention) retention->Stop();
  }
};

Result<ProcessorParts> StartProcessor(const Config& config, queue::Queue& queue,
                                      metrics::Registry& registry,
                                      queue::ConsumerLagMetrics& lag_metrics) {
  ProcessorParts parts;
  auto store = OpenSearchStore(config, registry);
  if (!store) return tl::unexpected(store.error());
  parts.store = std::move(*store);
  if (config.es_hosts.empty()) {
    parts.retention = std::make_unique<search::Retention>(
        *parts.store, std::chrono::hours(24) * config.search_retention_days);
    parts.retention->Start();
  }
  parts.geoip = OpenGeoIp(config.geoip_db_path);
  parts.metrics = std::make_unique<processor::ProcessorMetrics>(registry);
  parts.processor = std::make_unique<processor::Processor>(
      processor::ProcessorOptions{.group = config.processor_group,
                                  .topic = config.input_topic,
                                  .dlq_topic = config.dlq_topic,
                                  .event_limits = {.max_event_bytes = config.max_event_bytes},
                                  .geoip = parts.geoip.get()},
      queue, *parts.store, *parts.metrics, lag_metrics);
  if (auto started = parts.processor->Start(); !started) return tl::unexpected(started.error());
  auto archive = OpenArchive(config);
  if (!archive) return tl::unexpected(archive.error());
  parts.archive = std::move(*archive);
  parts.search_api = std::make_unique<api::SearchApi>(*parts.store);
  parts.replayer = std::make_unique<replay::Replayer>(
      *parts.archive, config.s3_bucket, *parts.store, parts.geoip.get(),
      EventLimits{.max_event_bytes = config.max_event_bytes});
  parts.replay_api = std::make_unique<api::ReplayApi>(*parts.replayer);
  return parts;
}

struct ArchiverParts {
  std::unique_ptr<objectstore::ObjectStore> store;
  std::unique_ptr<archiver::ArchiverMetrics> metrics;
  std::unique_ptr<archiver::Archiver> archiver;
};

Result<ArchiverParts> StartArchiver(const Config& config, queue::Queue& queue,
                                    metrics::Registry& registry,
                                    queue::ConsumerLagMetrics& lag_metrics) {
  ArchiverParts parts;
  auto store = OpenArchive(config);
  if (!store) return tl::unexpected(store.error());
  parts.store = std::move(*store);
  parts.metrics = std::make_unique<archiver::ArchiverMetrics>(registry);
  parts.archiver = std::make_unique<archiver::Archiver>(
      archiver::ArchiverOptions{
          .group = config.archiver_group,
          .topic = config.input_topic,
          .bucket = config.s3_bucket,
          .batch_size = config.batch_size,
          .batch_max_bytes = config.batch_max_bytes,
          .batch_timeout = std::chrono::seconds(config.batch_timeout_seconds),
          .compression = archiver::ParseCompression(config.archive_compression)
                             .value_or(archiver::Compression::kGzip)},
      queue, *parts.store, *parts.metrics, lag_metrics);
  if (auto started = parts.archiver->Start(); !started) return tl::unexpected(started.error());
  return parts;
}

std::string HostForUrl(const std::string& address) {
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAll:
      return "run";
    case Role::kCollector:
      return "collector";
    case Role::kProcessor:
      return "processor";
    case Role::kArchiver:
      return "archiver";
  }
  return "run";
}

uint16_t DefaultMetricsPort(Role role) {
  switch (role) {
    case Role::kProcessor:
      return 8001;
    case Role::kArchiver:
      return 8002;
    default:
      return 8080;
  }
}

int RunRole(const Config& config, Role role) {
  Logger::SetMinimumSeverity(SeverityFromName(config.log_level));
  const std::string name(RoleName(role));
  Log().Info("starting logpipe " + name, {{"config", DescribeConfig(config)}});
  if (role != Role::kAll && config.KafkaCluster().empty()) {
    Log().Error("logpipe " + name +
                " runs on Kafka: set KAFKA_BROKERS or KAFKA_BOOTSTRAP_SERVERS (for one process "
                "on the embedded spool, use logpipe run)");
    return 2;
  }
  const bool collects = role == Role::kAll || role == Role::kCollector;
  const bool processes = role == Role::kAll || role == Role::kProcessor;
  const bool archives = role == Role::kAll || role == Role::kArchiver;

  metrics::Registry registry;
  metrics::RegisterProcessMetrics(registry);
  http::HttpMetrics http_metrics(registry);
  auto opened = OpenQueue(config, registry);
  if (!opened) {
    Log().Error("cannot open the queue", {{"error", opened.error().message}});
    return 1;
  }
  queue::Queue& queue = *opened->queue;
  queue::ConsumerLagMetrics lag_metrics(registry);

  std::optional<ProcessorParts> processor;
  if (processes) {
    auto started = StartProcessor(config, queue, registry, lag_metrics);
    if (!started) {
      Log().Error("cannot start the processor", {{"error", started.error().message}});
      return 1;
    }
    processor = std::move(*started);
  }
  std::optional<ArchiverParts> archiver;
  if (archives) {
    auto started = StartArchiver(config, queue, registry, lag_metrics);
    if (!started) {
      Log().Error("cannot start the archiver", {{"error", started.error().message}});
      return 1;
    }
    archiver = std::move(*started);
  }

  std::unique_ptr<collector::CollectorMetrics> collector_metrics;
  std::unique_ptr<collector::IngestHandler> ingest;
  std::unique_ptr<http::Server> ingest_server;
  if (collects) {
    collector_metrics = std::make_unique<collector::CollectorMetrics>(registry);
    ingest = std::make_unique<collector::IngestHandler>(
        collector::IngestOptions{
            .topic = config.input_topic,
            .decode = {.max_body_bytes = config.max_body_bytes,
                       .event_limits = {.max_event_bytes = config.max_event_bytes}},
            .auth_token = config.auth_token.reveal()},
        queue, *collector_metrics);
    auto routes = HealthRoutes(queue);
    routes.push_back(RouteTo("POST", "/logs", *ingest, &collector::IngestHandler::HandleLogs));
    if (processor) {
      for (auto& route : processor->QueryRoutes()) routes.push_back(std::move(route));
    }
    const size_t threads = config.http_threads != 0
                               ? config.http_threads
                               : std::max<size_t>(1, std::thread::hardware_concurrency());
    ingest_server = std::make_unique<http::Server>(
        http::ServerOptions{.name = "ingest",
                            .address = config.listen_address,
                            .port = config.collector_port,
                            .threads = threads,
                            .max_body_bytes = config.max_body_bytes,
                            .max_connections = config.max_connections,
                            .max_inflight_body_bytes = config.max_inflight_bytes},
        std::move(routes), http_metrics);
  }

  auto metrics_routes = HealthRoutes(queue);
  metrics_routes.push_back(MetricsRoute(registry));
  if (processor && !collects) {
    for (auto& route : processor->QueryRoutes()) metrics_routes.push_back(std::move(route));
  }
  http::Server metrics_server(http::ServerOptions{.name = "metrics",
                                                  .address = config.listen_address,
                                                  .port = config.metrics_port,
                                                  .threads = 1,
                                                  .max_body_bytes = 64 * 1024},
                              std::move(metrics_routes), http_metrics);

  for (auto* server : {ingest_server.get(), &metrics_server}) {
    if (server == nullptr) continue;
    if (auto started = server->Start(); !started) {
      Log().Error("cannot start HTTP server", {{"error", started.error().message}});
      return 1;
    }
  }
  const std::string host = HostForUrl(config.listen_address);
  if (ingest_server) {
    std::printf(
        "logpipe ready: POST events to http://%s:%u/logs  (metrics: http://%s:%u/metrics)\n",
        host.c_str(), ingest_server->port(), host.c_str(), metrics_server.port());
  } else {
    std::printf("logpipe %s ready  (metrics: http://%s:%u/metrics)\n", name.c_str(), host.c_str(),
                metrics_server.port());
  }
  std::fflush(stdout);

  const int signal_number = WaitForTerminationSignal();
  Log().Info("stopping", {{"signal", std::to_string(signal_number)}});
  // Answer what is in flight, let the consumers finish and commit their batches, make the queue
  // durable, then stop serving metrics.
  if (ingest_server) ingest_server->Stop(std::chrono::seconds(10));
  if (processor) processor->Stop();
  if (archiver) archiver->archiver->Stop();
  opened->stop();
  metrics_server.Stop(std::chrono::seconds(1));
  Log().Info("stopped");
  return 0;
}

}  // namespace lp::app
