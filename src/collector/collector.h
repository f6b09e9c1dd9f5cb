#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collector/collector_metrics.h"
#include "collector/ingest_handler.h"
#include "collector/ingest_pipeline.h"
#include "collector/protocols/es_api.h"
#include "collector/protocols/otlp_http.h"
#include "collector/shipper_auth.h"
#include "http/server.h"
#include "queue/queue.h"

namespace lp::collector {

struct CollectorOptions {
  std::string topic = "app-logs";
  DecodeOptions decode{};
  /// When set, every ingest protocol requires it (ShipperAuth says in which forms).
  std::string auth_token{};
};

/// The collector: `POST /logs` and the shippers' protocols, all storing through one
/// IngestPipeline and checking one ShipperAuth. Owned by the app, which serves its routes.
/// Thread-safe once built.
class Collector {
 public:
  Collector(CollectorOptions options, queue::Producer& producer, CollectorMetrics& metrics);

  /// The ingest routes of every protocol, for the ingest server.
  [[nodiscard]] std::vector<http::Route> Routes();
  /// `GET /` for clients that do not ask for HTML (the web UI answers the others): the
  /// Elasticsearch version probe.
  [[nodiscard]] http::Handler RootHandler();

 private:
  IngestPipeline pipeline_;
  ShipperAuth auth_;
  IngestHandler logs_;
  ElasticsearchApi elasticsearch_;
  OtlpHttpHandler otlp_;
};

}  // namespace lp::collector
