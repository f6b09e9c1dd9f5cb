#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/result.h"
#include "objectstore/object_store.h"
#include "queue/queue.h"

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
  uint64_t events_queued = 0;
  uint64_t events_skipped =
      0;  ///< Lines that are no JSON object with a service, and events of other services.
  std::string error{};
};

/// Parses "YYYY-MM-DD"; the error names the value.
[[nodiscard]] Result<std::chrono::sys_days> ParseDate(std::string_view text);

/// Reads archived objects of a date range and produces their events into the input topic again,
/// so the processor's one path validates, normalizes, enriches and indexes them. Each carries
/// queue::kOriginalIdHeader: the id of the record that first carried it, from the object's
/// `line-offsets` metadata (`<object key>#<line>` for objects written without it), so replaying
/// what is still indexed changes nothing and the archiver does not archive it again. The key is
/// the event's service, as the collector keys it. One replay runs at a time,
/// on a thread of the replayer's own (reaped when the next starts); it finds the days to read by
/// walking the archive's `YYYY/MM/DD/` folders, so a wide range costs only what exists, and it
/// checks for Stop() between every listing and object. Status() follows the last jobs.
///
/// The jobs and their progress (the last object done) are kept in `state_file`, rewritten
/// atomically after each object: a restarted replayer still answers for its earlier jobs, and a
/// job the process was stopped in the middle of (a shutdown, a crash) resumes after its last
/// object done. Objects are whole batches, so at most one object is produced twice, which the
/// original ids make harmless. Thread-safe.
class Replayer {
 public:
  /// Resumes the job `state_file` says was running, if any.
  Replayer(objectstore::ObjectStore& archive, std::string bucket, queue::Producer& queue,
           std::string topic, std::filesystem::path state_file);
  ~Replayer();

  /// Starts a replay and returns its id; a retryable error naming the running job while one
  /// runs.
  [[nodiscard]] Result<std::string> Start(ReplayRequest request);
  [[nodiscard]] std::optional<ReplayStatus> Status(const std::string& id) const;
  /// Stops the running job (it ends "failed": "stopped") and joins its thread. Idempotent.
  void Stop();

 private:
  /// The keys of the archived objects of the requested days, or an error.
  [[nodiscard]] Result<std::vector<std::string>> ListObjects(std::stop_token stop,
                                                             const ReplayRequest& request);
  struct Job {
    ReplayStatus status;
    ReplayRequest request;
    std::string last_key;  ///< The last object done ("" before the first).
  };
  void Run(std::stop_token stop, std::string id);
  void Launch(const std::string& id);  // Under mutex_.
  /// Applies `change` to the job's status and progress, and keeps the state file in step
  /// unless `persist` is false.
  void Update(const std::string& id, const std::function<void(Job&)>& change, bool persist = true);
  void Load();
  void Save();  // Under mutex_.
  /// Produces the records, retrying while the queue is full or unreachable.
  [[nodiscard]] Result<void> ProduceWithRetries(std::stop_token stop,
                                                std::span<const queue::OutgoingRecord> records);

  objectstore::ObjectStore& archive_;
  const std::string bucket_;
  queue::Producer& queue_;
  const std::string topic_;
  const std::filesystem::path state_file_;

  mutable std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Job> jobs_;  ///< The last kKeptJobs, by number.
  std::string running_;           ///< Id of the running job; empty when none runs.
  std::jthread worker_;
};

}  // namespace lp::replay
