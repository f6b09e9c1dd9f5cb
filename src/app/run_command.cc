#include "app/run_command.h"

#include <arpa/inet.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include "api/dlq_api.h"
#include "api/pipeline_api.h"
#include "api/replay_api.h"
#include "api/search_api.h"
#include "api/web_ui.h"
#include "app/components.h"
#include "app/signals.h"
#include "archiver/archiver.h"
#include "collector/collector.h"
#include "collector/collector_metrics.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/process_metrics.h"
#include "http/server.h"
#include "http/server_tls.h"
#include "processor/processor.h"
#include "search/elastic/elastic_search_store.h"
#include "search/retention.h"
#include "search/sqlite/sqlite_search_store.h"
#include "security/audit_log.h"
#include "security/authenticator.h"
#include "security/rate_limiter.h"
#include "security/redactor.h"

namespace lp::app {
namespace {

const Logger& Log() {
  static const Logger logger("app");
  return logger;
}

constexpr size_t kMetricsConnections = 64;

LogSeverity SeverityFromName(const std::string& name) {
  if (name == "debug") return LogSeverity::kDebug;
  if (name == "warn") return LogSeverity::kWarn;
  if (name == "error") return LogSeverity::kError;
  return LogSeverity::kInfo;
}

// Addresses each pooled redaction buffer of the collector remembers (logs repeat the same few).
constexpr size_t kCollectorGeoCacheEntries = 1'000;

// The collector's locators of addresses about to be redacted; none without a database.
std::function<security::AddressLocator()> AddressLocators(
    const processor::GeoIpDatabase* database) {
  if (database == nullptr) return {};
  return [database] { return processor::GeoJsonLocator(*database, kCollectorGeoCacheEntries); };
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
  std::unique_ptr<api::QueryPoolMetrics> query_metrics;
  std::unique_ptr<api::QueryPool> query_pool;
  std::unique_ptr<api::SearchApi> search_api;
  std::unique_ptr<replay::Replayer> replayer;
  std::unique_ptr<api::ReplayApi> replay_api;
  std::unique_ptr<api::PipelineApi> pipeline_api;
  std::unique_ptr<processor::DeadLetters> dead_letters;
  std::unique_ptr<api::DlqApi> dlq_api;

  /// The query, replay and pipeline APIs and the web UI over them, each route needing its
  /// scope (DESIGN §3's route x credential table): the query API reads its tenant's logs,
  /// replay makes the process work (and is audited), the pipeline status shows every tenant's
  /// numbers. The page itself stays open: it asks for the token.
  /// `non_html_root` answers `GET /` to clients that do not ask for the page.
  [[nodiscard]] std::vector<http::Route> QueryRoutes(const security::Authenticator& auth,
                                                     security::AuditLog& audit,
                                                     const http::Handler& non_html_root) {
    using security::Scope;
    std::vector<http::Route> routes;
    const auto add = [&](Scope scope, http::Route route) {
      routes.push_back(security::RequireScope(auth, scope, std::move(route)));
    };
    add(Scope::kQuery, RouteTo("GET", "/api/search", *search_api, &api::SearchApi::HandleSearch));
    add(Scope::kQuery,
        RouteTo("GET", "/api/histogram", *search_api, &api::SearchApi::HandleHistogram));
    add(Scope::kQuery, RouteTo("GET", "/api/facets", *search_api, &api::SearchApi::HandleFacets));
    add(Scope::kQuery, RouteTo("GET", "/api/context", *search_api, &api::SearchApi::HandleContext));
    add(Scope::kQuery, RouteTo("GET", "/api/tail", *search_api, &api::SearchApi::HandleTail));
    add(Scope::kAdmin, security::Audited(audit, RouteTo("POST", "/api/replay", *replay_api,
                                                        &api::ReplayApi::HandleStart)));
    add(Scope::kAdmin, RouteTo("GET", "/api/replay", *replay_api, &api::ReplayApi::HandleStatus));
    add(Scope::kAdmin,
        RouteTo("GET", "/api/pipeline", *pipeline_api, &api::PipelineApi::HandleStatus));
    add(Scope::kAdmin, RouteTo("GET", "/api/dlq", *dlq_api, &api::DlqApi::HandleNewest));
    add(Scope::kAdmin, security::Audited(audit, RouteTo("POST", "/api/dlq/redrive", *dlq_api,
                                                        &api::DlqApi::HandleRedrive)));
    for (auto& route : api::WebUiRoutes(non_html_root)) routes.push_back(std::move(route));
    return routes;
  }
  /// Ends tails and queries, before the servers carrying their routes stop.
  void StopQueries() {
    search_api->Stop();
    query_pool->Stop();
  }
  void Stop() {
    replayer->Stop();
    processor->Stop();
    if (retention) retention->Stop();
  }
};

Result<ProcessorParts> StartProcessor(const Config& config, queue::Queue& queue,
                                      metrics::Registry& registry,
                                      queue::ConsumerLagMetrics& lag_metrics,
                                      Readiness& readiness) {
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
                                  .geoip = parts.geoip.get(),
                                  .readiness = &readiness.Add("processor")},
      queue, *parts.store, *parts.metrics, lag_metrics);
  if (auto started = parts.processor->Start(); !started) return tl::unexpected(started.error());
  auto archive = OpenArchive(config);
  if (!archive) return tl::unexpected(archive.error());
  parts.archive = std::move(*archive);
  parts.query_metrics = std::make_unique<api::QueryPoolMetrics>(registry);
  parts.query_pool = std::make_unique<api::QueryPool>(
      api::QueryPoolOptions{.threads = config.query_threads,
                            .max_queries = config.query_max_concurrent,
                            .timeout = config.query_timeout},
      *parts.query_metrics);
  parts.search_api = std::make_unique<api::SearchApi>(*parts.store, *parts.query_pool);
  parts.replayer =
      std::make_unique<replay::Replayer>(*parts.archive, config.s3_bucket, queue,
                                         config.input_topic, config.data_dir / "replay-jobs.json");
  parts.replay_api = std::make_unique<api::ReplayApi>(*parts.replayer);
  const bool embedded = config.es_hosts.empty();
  parts.pipeline_api = std::make_unique<api::PipelineApi>(
      registry, api::PipelineSettings{
                    .store = embedded ? "embedded" : "elasticsearch",
                    .store_dir = embedded ? config.data_dir / "search" : std::filesystem::path(),
                    .search_retention_days = config.search_retention_days,
                    .spool_retention_ms = config.spool_retention.count(),
                    .input_topic = config.input_topic,
                    .dlq_topic = config.dlq_topic});
  parts.dead_letters = std::make_unique<processor::DeadLetters>(
      processor::DeadLettersOptions{.dlq_topic = config.dlq_topic,
                                    .input_topic = config.input_topic},
      queue);
  parts.dlq_api =
      std::make_unique<api::DlqApi>(*parts.dead_letters, *parts.query_pool, config.dlq_topic);
  return parts;
}

struct ArchiverParts {
  std::unique_ptr<objectstore::ObjectStore> store;
  std::unique_ptr<archiver::ArchiverMetrics> metrics;
  std::unique_ptr<archiver::Archiver> archiver;
};

Result<ArchiverParts> StartArchiver(const Config& config, queue::Queue& queue,
                                    metrics::Registry& registry,
                                    queue::ConsumerLagMetrics& lag_metrics, Readiness& readiness) {
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
                             .value_or(archiver::Compression::kGzip),
          .readiness = &readiness.Add("archiver")},
      queue, *parts.store, *parts.metrics, lag_metrics);
  if (auto started = parts.archiver->Start(); !started) return tl::unexpected(started.error());
  return parts;
}

bool IsLoopback(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, address.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// The listen address as a URL's host (an IPv6 address in brackets).
std::string HostForUrl(const std::string& address) {
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
}

// Where the servers listen, as the start of their URLs.
std::string BaseUrl(const std::string& address, bool tls) {
  return std::string(tls ? "https://" : "http://") + HostForUrl(address);
}

// The certificate's expiry at start and after each reload; a warning when it is near.
void LogCertificate(const http::ServerTls& tls, std::string_view message) {
  const auto not_after = tls.NotAfter();
  const auto days_left =
      std::chrono::duration_cast<std::chrono::hours>(not_after - std::chrono::system_clock::now())
          .count() /
      24;
  const std::initializer_list<LogField> fields{{"expires_in_days", std::to_string(days_left)},
                                               {"mutual_tls", tls.mutual() ? "true" : "false"}};
  if (days_left < 14) {
    Log().Warn(std::string(message) +
                   "; the certificate expires soon (or has expired): renew "
                   "it and send SIGHUP",
               fields);
  } else {
    Log().Info(message, fields);
  }
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
  Readiness readiness;

  security::AuthMetrics auth_metrics(registry);
  security::Authenticator auth(config.tokens_file, config.auth_token.reveal(), auth_metrics);
  security::RateLimiter rate_limiter(registry);
  if (auto loaded = auth.Reload(); !loaded) {
    Log().Error("cannot read the tokens", {{"error", loaded.error().message}});
    return 2;
  } else if (auth.enabled()) {
    rate_limiter.SetLimits((*loaded)->limits());
    Log().Info("authentication on",
               {{"tokens", std::to_string((*loaded)->tokens().size())},
                {"rate_limited_tenants", std::to_string((*loaded)->limits().size())}});
  } else if (IsLoopback(config.listen_address)) {
    Log().Warn(
        "no tokens configured (TOKENS_FILE, COLLECTOR_AUTH_TOKEN): every route is open, "
        "so logpipe listens on loopback only",
        {{"listen_address", config.listen_address}});
  } else if (!config.allow_unauthenticated) {
    Log().Error(
        "LISTEN_ADDRESS is not a loopback address and no tokens are configured: set "
        "TOKENS_FILE (or COLLECTOR_AUTH_TOKEN), or ALLOW_UNAUTHENTICATED=true to let "
        "anyone who reaches logpipe write and read",
        {{"listen_address", config.listen_address}});
    return 2;
  } else {
    Log().Warn(
        "no tokens configured and ALLOW_UNAUTHENTICATED=true: anyone who reaches "
        "logpipe may write and read",
        {{"listen_address", config.listen_address}});
  }
  auto audit = security::AuditLog::Open(
      config.audit_log_file.empty() ? config.data_dir / "audit.jsonl" : config.audit_log_file,
      registry);
  if (!audit) {
    Log().Error("cannot open the audit log", {{"error", audit.error().message}});
    return 2;
  }

  // Only a TLS process exports the certificate's expiry, so that an alert on it never fires for
  // one without.
  std::optional<http::TlsMetrics> tls_metrics;
  std::shared_ptr<http::ServerTls> tls;
  if (!config.tls_cert_file.empty()) {
    tls_metrics.emplace(registry);
    auto loaded = http::ServerTls::Load({.certificate_file = config.tls_cert_file,
                                         .key_file = config.tls_key_file,
                                         .client_ca_file = config.tls_client_ca_file},
                                        *tls_metrics);
    if (!loaded) {
      Log().Error(
          "cannot load the TLS certificate (TLS_CERT_FILE, TLS_KEY_FILE, "
          "TLS_CLIENT_CA_FILE)",
          {{"error", loaded.error().message}});
      return 2;
    }
    tls = std::move(*loaded);
    LogCertificate(*tls, "TLS on every listener");
  }

  std::optional<ProcessorParts> processor;
  if (processes) {
    auto started = StartProcessor(config, queue, registry, lag_metrics, readiness);
    if (!started) {
      Log().Error("cannot start the processor", {{"error", started.error().message}});
      return 1;
    }
    processor = std::move(*started);
  }
  std::optional<ArchiverParts> archiver;
  if (archives) {
    auto started = StartArchiver(config, queue, registry, lag_metrics, readiness);
    if (!started) {
      Log().Error("cannot start the archiver", {{"error", started.error().message}});
      return 1;
    }
    archiver = std::move(*started);
  }

  std::unique_ptr<security::Redactor> redactor;
  if (collects && (config.redaction == "on" || !config.redaction_rules_file.empty())) {
    std::string hash_key;
    if (!config.redaction_hash_key_file.empty()) {
      auto key = ReadWholeFile(config.redaction_hash_key_file);
      if (!key || key->empty()) {
        Log().Error("cannot read REDACTION_HASH_KEY_FILE",
                    {{"path", config.redaction_hash_key_file.string()},
                     {"error", key ? "the file is empty" : key.error().message}});
        return 2;
      }
      hash_key = std::move(*key);
    }
    auto created = security::Redactor::Create(
        {.rules_file = config.redaction_rules_file, .hash_key = std::move(hash_key)}, registry);
    if (!created) {
      Log().Error("cannot load the redaction rules", {{"error", created.error().message}});
      return 2;
    }
    redactor = std::move(*created);
  }
  // With redaction on, the collector adds `geo` before an address is masked (the processor
  // could not locate it after); `run` shares the processor's database.
  std::unique_ptr<processor::GeoIpDatabase> collector_geoip;
  const processor::GeoIpDatabase* redaction_geoip = nullptr;
  if (redactor) {
    if (processor) {
      redaction_geoip = processor->geoip.get();
    } else {
      collector_geoip = OpenGeoIp(config.geoip_db_path);
      redaction_geoip = collector_geoip.get();
    }
  }
  // The ingest server's and the syslog listeners'.
  const size_t ingest_threads = config.http_threads != 0
                                    ? config.http_threads
                                    : std::max<size_t>(1, std::thread::hardware_concurrency());
  std::unique_ptr<collector::CollectorMetrics> collector_metrics;
  std::unique_ptr<collector::Collector> ingest;
  std::unique_ptr<http::Server> ingest_server;
  if (collects) {
    collector_metrics = std::make_unique<collector::CollectorMetrics>(registry);
    ingest = std::make_unique<collector::Collector>(
        collector::CollectorOptions{
            .ingest = {.topic = config.input_topic,
                       .rate_limiter = &rate_limiter,
                       .redactor = redactor.get(),
                       .new_locator = AddressLocators(redaction_geoip)},
            .decode = {.max_body_bytes = config.max_body_bytes,
                       .event_limits = {.max_event_bytes = config.max_event_bytes}}},
        auth, queue, *collector_metrics);
    auto routes = HealthRoutes(queue, readiness);
    for (auto& route : ingest->Routes()) routes.push_back(std::move(route));
    if (processor && !config.query_port) {
      for (auto& route : processor->QueryRoutes(auth, **audit, ingest->RootHandler())) {
        routes.push_back(std::move(route));
      }
    } else {
      // No web UI on this port: every GET / is a shipper's probe.
      routes.push_back(http::Route{"GET", "/", ingest->RootHandler()});
    }
    ingest_server = std::make_unique<http::Server>(
        http::ServerOptions{.name = "ingest",
                            .address = config.listen_address,
                            .port = config.collector_port,
                            .threads = ingest_threads,
                            .max_body_bytes = config.max_body_bytes,
                            .max_connections = config.max_connections,
                            .max_connections_per_client = config.max_connections_per_client,
                            .max_inflight_body_bytes = config.max_inflight_bytes,
                            .idle_timeout = config.http_idle_timeout,
                            .header_timeout = config.http_header_timeout,
                            .body_timeout = config.http_body_timeout,
                            .tls = tls},
        std::move(routes), http_metrics);
  }

  auto metrics_routes = HealthRoutes(queue, readiness);
  if (config.metrics_auth == "open") {
    metrics_routes.push_back(MetricsRoute(registry));
  } else {
    metrics_routes.push_back(security::RequireScope(
        auth, security::ParseScope(config.metrics_auth).value_or(security::Scope::kAdmin),
        MetricsRoute(registry)));
  }
  if (processor && !collects && !config.query_port) {
    for (auto& route : processor->QueryRoutes(auth, **audit, api::AnswerNoPage)) {
      metrics_routes.push_back(std::move(route));
    }
  }
  // The query API on a port of its own: its connections and threads apart from ingest's.
  std::unique_ptr<http::Server> query_server;
  if (processor && config.query_port) {
    query_server = std::make_unique<http::Server>(
        http::ServerOptions{.name = "query",
                            .address = config.listen_address,
                            .port = *config.query_port,
                            .threads = 2,
                            .max_body_bytes = 64 * 1024,
                            .max_connections = config.max_connections,
                            .max_connections_per_client = config.max_connections_per_client,
                            .idle_timeout = config.http_idle_timeout,
                            .header_timeout = config.http_header_timeout,
                            .body_timeout = config.http_body_timeout,
                            .tls = tls},
        processor->QueryRoutes(auth, **audit, api::AnswerNoPage), http_metrics);
  }
  // Probes and scrapes have a port of their own with its own small capacity: idle and slow
  // connections make room for them, so a flood on the ingest port never fails liveness.
  http::Server metrics_server(
      http::ServerOptions{.name = "metrics",
                          .address = config.listen_address,
                          .port = config.metrics_port,
                          .threads = 1,
                          .max_body_bytes = 64 * 1024,
                          .max_connections = kMetricsConnections,
                          .max_connections_per_client = kMetricsConnections / 2,
                          .idle_timeout = config.http_idle_timeout,
                          .header_timeout = config.http_header_timeout,
                          .body_timeout = config.http_header_timeout,
                          .tls = tls},
      std::move(metrics_routes), http_metrics);

  for (auto* server : {ingest_server.get(), query_server.get(), &metrics_server}) {
    if (server == nullptr) continue;
    if (auto started = server->Start(); !started) {
      Log().Error("cannot start HTTP server", {{"error", started.error().message}});
      return 1;
    }
  }
  const std::string host = HostForUrl(config.listen_address);
  if (ingest && (config.syslog_port || config.syslog_tls_port)) {
    auto syslog = ingest->StartSyslog(
        collector::SyslogOptions{
            .address = config.listen_address,
            .port = config.syslog_port,
            .tls_port = config.syslog_tls_port,
            .tls = tls,
            .threads = ingest_threads,
            .tenant = config.syslog_tenant,
            .decode = {.max_body_bytes = config.max_body_bytes,
                       .event_limits = {.max_event_bytes = config.max_event_bytes}}},
        registry);
    if (!syslog) {
      Log().Error("cannot start the syslog listener", {{"error", syslog.error().message}});
      return 1;
    }
    if (syslog->plain) std::printf("syslog on tcp and udp %s:%u\n", host.c_str(), *syslog->plain);
    if (syslog->tls) std::printf("syslog over TLS on tcp %s:%u\n", host.c_str(), *syslog->tls);
  }
  const std::string base = BaseUrl(config.listen_address, tls != nullptr);
  if (query_server) {
    std::printf("query API on %s:%u/api/\n", base.c_str(), query_server->port());
  }
  if (ingest_server) {
    std::printf("logpipe ready: POST events to %s:%u/logs  (metrics: %s:%u/metrics)\n",
                base.c_str(), ingest_server->port(), base.c_str(), metrics_server.port());
  } else {
    std::printf("logpipe %s ready  (metrics: %s:%u/metrics)\n", name.c_str(), base.c_str(),
                metrics_server.port());
  }
  std::fflush(stdout);

  const int signal_number = WaitForTerminationSignal([&] {
    auto reloaded = auth.Reload();
    const std::string count = reloaded ? std::to_string((*reloaded)->tokens().size()) : "";
    (*audit)->Record(
        "reload tokens",
        {{"token", "SIGHUP"},
         {"result", reloaded ? count + " tokens" : "failed: " + reloaded.error().message}});
    if (reloaded) {
      rate_limiter.SetLimits((*reloaded)->limits());
      Log().Info("tokens reloaded", {{"tokens", count}});
    } else {
      Log().Error("tokens not reloaded: the previous tokens stay in use",
                  {{"error", reloaded.error().message}});
    }
    if (tls) {
      const auto certificate = tls->Reload();
      (*audit)->Record("reload TLS certificate",
                       {{"token", "SIGHUP"},
                        {"result", certificate ? "ok" : "failed: " + certificate.error().message}});
      if (certificate) {
        LogCertificate(*tls, "TLS certificate reloaded");
      } else {
        Log().Error("TLS certificate not reloaded: the previous one stays in use",
                    {{"error", certificate.error().message}});
      }
    }
  });
  Log().Info("stopping", {{"signal", std::to_string(signal_number)}});
  // The whole drain is bounded: past DRAIN_TIMEOUT_SECONDS the process exits anyway. That loses
  // nothing acknowledged (it is in the queue already); an unfinished batch is redone by whoever
  // consumes its partition next.
  const auto drain = std::chrono::seconds(config.drain_timeout_seconds);
  std::jthread watchdog([drain](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any finished;
    std::unique_lock lock(mutex);
    if (!finished.wait_for(lock, stop, drain, [&stop] { return stop.stop_requested(); })) {
      Log().Error("drain timeout passed: exiting before the drain finished",
                  {{"drain_timeout_seconds", std::to_string(drain.count())}});
      std::_Exit(3);
    }
  });
  // Answer what is in flight, let the consumers finish and commit their batches, make the queue
  // durable, then stop serving metrics.
  if (processor) processor->StopQueries();
  if (query_server) query_server->Stop(std::chrono::seconds(1));
  if (ingest_server) ingest_server->Stop(drain);
  if (ingest) ingest->StopSyslog();
  if (processor) processor->Stop();
  if (archiver) archiver->archiver->Stop();
  opened->stop();
  metrics_server.Stop(std::chrono::seconds(1));
  watchdog.request_stop();
  Log().Info("stopped");
  return 0;
}

}  // namespace lp::app
