#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "queue/queue.h"

namespace lp::processor {

/// One record of the dead-letter topic as the processor wrote it (DESIGN §5).
struct DeadLetterRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string error{};
  std::string stage{};  ///< "validate" or "index".
  std::string source_topic{};
  std::string source_partition{};
  std::string source_offset{};
  std::string value{};  ///< The event as received, cut at `kDeadLetterValueBytes`.
  bool value_cut = false;
};

inline constexpr size_t kDeadLetterValueBytes = 4096;

struct DeadLetterView {
  /// Records not re-driven yet (all of them when none ever was).
  int64_t pending = 0;
  /// The newest pending records, newest first.
  std::vector<DeadLetterRecord> newest;
};

struct RedriveOutcome {
  int64_t redriven = 0;
  int64_t pending = 0;  ///< Left after this call (more than its limit, or newer).
};

struct DeadLettersOptions {
  std::string dlq_topic = "dlq";
  std::string input_topic = "app-logs";
  /// The consumer group whose committed offsets say what was re-driven.
  std::string group = "dlq-redrive";
  std::chrono::milliseconds poll_timeout{200};
  /// How long one call may wait for the records it knows are there (a Kafka fetch after a seek
  /// takes a moment; a record lost to damage never comes).
  std::chrono::milliseconds read_timeout{10'000};
  /// How long the first use waits for the group to be given the topic's partitions (Kafka).
  std::chrono::milliseconds assignment_timeout{15'000};
};

/// Reads the dead-letter topic and re-drives its records into the input topic once their cause
/// is fixed. The group `dlq-redrive` marks what was re-driven: its committed offsets only move
/// when records were produced again, so each dead letter is re-driven once. A re-driven record
/// keeps its key, value and time and carries queue::kOriginalIdHeader, so the processor indexes
/// it under the original event's id and the archiver does not archive it twice.
///
/// Joins the group at first use and keeps its consumer; calls are serialized (a mutex), so any
/// thread may call, one at a time in effect. With Kafka and several processes, each process's
/// member holds some of the topic's partitions and sees those only.
class DeadLetters {
 public:
  DeadLetters(DeadLettersOptions options, queue::Queue& queue)
      : options_(std::move(options)), queue_(queue) {}

  /// The newest `count` records not re-driven yet.
  [[nodiscard]] Result<DeadLetterView> Newest(size_t count);
  /// Produces up to `max_records` pending records, oldest first, into the input topic and
  /// commits them as re-driven.
  [[nodiscard]] Result<RedriveOutcome> Redrive(size_t max_records);

 private:
  [[nodiscard]] Result<queue::Consumer*> Attach();
  /// Attaches, and how far the group is behind on each partition it holds.
  [[nodiscard]] Result<std::vector<queue::PartitionLag>> AttachAndMeasure();

  const DeadLettersOptions options_;
  queue::Queue& queue_;
  std::mutex mutex_;
  std::unique_ptr<queue::Consumer> consumer_;
};

}  // namespace lp::processor
