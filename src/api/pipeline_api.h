#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/metrics.h"
#include "http/server.h"

namespace lp::api {

/// What the pipeline page shows beside the metrics: settings that are not metrics.
struct PipelineSettings {
  std::string store;                ///< "embedded" or "elasticsearch".
  std::filesystem::path store_dir;  ///< The embedded store's folder; empty for a cluster.
  uint32_t search_retention_days = 0;
  int64_t spool_retention_ms = 0;
  std::string input_topic;
  std::string dlq_topic;
};

/// GET /api/pipeline: every sample of the process's metrics registry (the same one /metrics
/// renders, minus histogram buckets) as JSON, the time it was read, the store's size on disk and
/// the retention settings. The page computes rates from two reads, so no state is kept here.
class PipelineApi {
 public:
  PipelineApi(metrics::Registry& registry, PipelineSettings settings)
      : registry_(registry), settings_(std::move(settings)) {}

  void HandleStatus(http::Request& request, http::Responder respond);

  /// The Prometheus text exposition as a JSON array of {"name","labels","value"}; exposed for
  /// its unit test.
  [[nodiscard]] static std::string SamplesJson(std::string_view exposition);

 private:
  metrics::Registry& registry_;
  PipelineSettings settings_;
};

}  // namespace lp::api
