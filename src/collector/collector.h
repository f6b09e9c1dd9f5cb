#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collector/collector_metrics.h"
#include "collector/ingest_handler.h"
#include "collector/ingest_pipeline.h"
#include "collector/protocols/es_api.h"
#include "collector/protocols/hec_http.h"
#include "collector/protocols/loki_http.h"
#include "collector/protocols/otlp_http.h"
#include "collector/syslog_server.h"
#include "http/server.h"
#include "queue/queue.h"
#include "security/authenticator.h"

namespace lp::collector {

struct CollectorOptions {
  IngestOptions ingest{};
  DecodeOptions decode{};
};

/// The collector: `POST /logs` and the shippers' protocols, all storing through one
/// IngestPipeline (rate limits, redaction, the queue) and each route needing the ingest scope
/// (security::RequireScope, refusals in the protocol's own form). Owned by the app, which
/// serves its routes; `auth` must outlive it. Thread-safe once built.
class Collector {
 public:
  /// Events go to `queue`, whose readiness HEC's health check reports.
  Collector(CollectorOptions options, const security::Authenticator& auth, queue::Queue& queue,
            CollectorMetrics& metrics);

  /// The ingest routes of every protocol, for the ingest server.
  [[nodiscard]] std::vector<http::Route> Routes();
  /// `GET /` for clients that do not ask for HTML (the web UI answers the others): the
  /// Elasticsearch version probe.
  [[nodiscard]] http::Handler RootHandler();

  /// Starts the syslog listeners (SYSLOG_PORT, SYSLOG_TLS_PORT) storing through the same
  /// pipeline; their ports.
  [[nodiscard]] Result<SyslogServer::Ports> StartSyslog(SyslogOptions options,
                                                        metrics::Registry& registry);
  /// Stops the syslog listener, if started (the destructor does too).
  void StopSyslog();

 private:
  const security::Authenticator& auth_;
  IngestPipeline pipeline_;
  IngestHandler logs_;
  ElasticsearchApi elasticsearch_;
  OtlpHttpHandler otlp_;
  LokiPushHandler loki_;
  HecHandler hec_;
  std::unique_ptr<SyslogServer> syslog_;  // last: stopped before the pipeline goes
};

}  // namespace lp::collector
