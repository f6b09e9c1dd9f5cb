#include "collector/collector.h"

namespace lp::collector {

Collector::Collector(CollectorOptions options, queue::Producer& producer, CollectorMetrics& metrics)
    : pipeline_(options.topic, producer, metrics),
      auth_(options.auth_token),
      logs_(options.decode, pipeline_, auth_),
      elasticsearch_(options.decode, pipeline_, auth_),
      otlp_(options.decode, pipeline_, auth_) {}

std::vector<http::Route> Collector::Routes() {
  std::vector<http::Route> routes;
  routes.push_back(
      http::Route{"POST", "/logs", [this](http::Request& request, http::Responder respond) {
                    logs_.HandleLogs(request, std::move(respond));
                  }});
  routes.push_back(
      http::Route{"POST", "/v1/logs", [this](http::Request& request, http::Responder respond) {
                    otlp_.HandleLogs(request, std::move(respond));
                  }});
  for (auto& route : elasticsearch_.Routes()) routes.push_back(std::move(route));
  return routes;
}

http::Handler Collector::RootHandler() { return elasticsearch_.RootHandler(); }

}  // namespace lp::collector
