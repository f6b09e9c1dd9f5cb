#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/event_validator.h"
#include "core/result.h"
#include "objectstore/object_store.h"
#include "processor/geoip.h"
#include "search/search_store.h"

namespace lp::replay {

/// Days of archive to replay, inclusive, and optionally one service.
struct ReplayRequest {
  std::chrono::sys_days from{};
  std::chrono::sys_days to{};
  std::optional<std::string> service{};
};

struct ReplayStatus {
  std::string id{};
  std::string state = "running";  ///< running, done or failed.
  uint64_t objects_total = 0;
  uint64_t objects_done = 0;
  uint64_t events_indexed = 0;
  uint64_t events_skipped = 0;  ///< Invalid lines, and events of other services.
  std::string error{};
};

/// Parses "YYYY-MM-DD"; the error names the value.
[[nodiscard]] Result<std::chrono::sys_days> ParseDate(std::string_view text);

/// Reads archived objects of a date range back into the search store, through the processor's
/// validation, normalization and GeoIP enrichment. A document's id is `<object key>#<line>`, so
/// replaying the same range again overwrites instead of duplicating. Each replay runs on a
/// thread of its own; Status() follows it. Thread-safe.
class Replayer {
 public:
  Replayer(objectstore::ObjectStore& archive, std::string bucket, search::SearchStore& store,
           const processor::GeoIpDatabase* geoip, EventLimits limits);
  ~Replayer();

  /// Starts a replay and returns its id.
  [[nodiscard]] std::string Start(ReplayRequest request);
  [[nodiscard]] std::optional<ReplayStatus> Status(const std::string& id) const;

 private:
  void Run(std::stop_token stop, std::string id, ReplayRequest request);
  void Update(const std::string& id, const std::function<void(ReplayStatus&)>& change);
  [[nodiscard]] Result<void> WriteWithRetries(std::stop_token stop,
                                              std::vector<search::SearchDocument>& documents);

  objectstore::ObjectStore& archive_;
  const std::string bucket_;
  search::SearchStore& store_;
  const processor::GeoIpDatabase* geoip_;
  const EventLimits limits_;

  mutable std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::map<std::string, ReplayStatus> jobs_;
  std::vector<std::jthread> threads_;
};

}  // namespace lp::replay
