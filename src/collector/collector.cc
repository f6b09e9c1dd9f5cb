#include "collector/collector.h"

namespace lp::collector {

Collector::Collector(CollectorOptions options, const security::Authenticator& auth,
                     queue::Queue& queue, CollectorMetrics& metrics)
    : auth_(auth),
      pipeline_(std::move(options.ingest), queue, metrics),
      logs_(options.decode, pipeline_),
      elasticsearch_(options.decode, pipeline_),
      otlp_(options.decode, pipeline_),
      loki_(options.decode, pipeline_),
      hec_(options.decode, pipeline_, queue) {}

std::vector<http::Route> Collector::Routes() {
  using security::Scope;
  std::vector<http::Route> routes;
  routes.push_back(security::RequireScope(
      auth_, Scope::kIngest,
      http::Route{"POST", "/logs", [this](http::Request& request, http::Responder respond) {
                    logs_.HandleLogs(request, std::move(respond));
                  }}));
  routes.push_back(
      security::RequireScope(auth_, Scope::kAdmin,
                             http::Route{"POST", "/api/redaction/dry-run",
                                         [this](http::Request& request, http::Responder respond) {
                                           logs_.HandleRedactionDryRun(request, std::move(respond));
                                         }}));
  routes.push_back(
      security::RequireScope(auth_, Scope::kIngest,
                             http::Route{"POST", "/v1/logs",
                                         [this](http::Request& request, http::Responder respond) {
                                           otlp_.HandleLogs(request, std::move(respond));
                                         }},
                             &OtlpHttpHandler::Refusal));
  routes.push_back(
      security::RequireScope(auth_, Scope::kIngest,
                             http::Route{"POST", "/loki/api/v1/push",
                                         [this](http::Request& request, http::Responder respond) {
                                           loki_.HandlePush(request, std::move(respond));
                                         }},
                             &LokiPushHandler::Refusal));
  for (auto& route : hec_.IngestRoutes()) {
    routes.push_back(
        security::RequireScope(auth_, Scope::kIngest, std::move(route), &HecHandler::Refusal));
  }
  routes.push_back(hec_.HealthRoute());
  for (auto& route : elasticsearch_.Routes()) {
    routes.push_back(security::RequireScope(auth_, Scope::kIngest, std::move(route),
                                            &ElasticsearchApi::Refusal));
  }
  return routes;
}

Result<SyslogServer::Ports> Collector::StartSyslog(SyslogOptions options,
                                                   metrics::Registry& registry) {
  syslog_ = std::make_unique<SyslogServer>(std::move(options), pipeline_, registry);
  return syslog_->Start();
}

void Collector::StopSyslog() {
  if (syslog_) syslog_->Stop();
}

http::Handler Collector::RootHandler() {
  return security::RequireScope(auth_, security::Scope::kIngest,
                                http::Route{"GET", "/", elasticsearch_.RootHandler()},
                                &ElasticsearchApi::Refusal)
      .handler;
}

}  // namespace lp::collector
