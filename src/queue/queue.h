#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lp::queue {

struct Header {
  std::string name;
  std::string value;
};

/// The header of a record that copies an event the pipeline carried before (replayed from the
/// archive, or a dead letter re-driven): the original record's id, `<topic>-<partition>-<offset>`.
/// The processor indexes the copy under that id, so copying twice changes nothing, and the
/// archiver leaves it out, since the archive holds the original already.
inline constexpr std::string_view kOriginalIdHeader = "original_id";

/// The value of `name`'s first header, or nothing.
[[nodiscard]] inline const std::string* FindHeader(const std::vector<Header>& headers,
                                                   std::string_view name) {
  for (const auto& header : headers) {
    if (header.name == name) return &header.value;
  }
  return nullptr;
}

/// A record to append; the views must stay valid until Produce returns.
struct OutgoingRecord {
  std::string_view key;
  std::string_view value;
  int64_t timestamp_ms = 0;
  std::span<const Header> headers;
};

struct ConsumedRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string key;
  std::string value;
  std::vector<Header> headers;
};

/// Where a group resumes a partition: the next offset to read, and the metadata stored with it.
struct CommittedOffset {
  int64_t next_offset = 0;
  std::string metadata;
};

struct OffsetCommit {
  int32_t partition = 0;
  int64_t next_offset = 0;
  std::string metadata;
};

/// How far a group is behind on one partition: records after its committed offset (after the
/// start of the log when it has committed nothing), as `kafka-consumer-groups` shows it.
struct PartitionLag {
  int32_t partition = 0;
  int64_t messages = 0;
  /// Where the group resumes (its committed offset, or the oldest record kept), and the offset
  /// past the newest record: `messages` is the difference.
  int64_t position = 0;
  int64_t end = 0;
};

/// Called exactly once per Produce call, from any thread, when every record is durable (per the
/// implementation's policy) or with the error that prevented it.
using ProduceCallback = std::function<void(Result<void>)>;

/// The write half of the queue seam. Thread-safe.
class Producer {
 public:
  virtual ~Producer() = default;

  /// Appends the records to `topic`, each to the partition its key hashes to (Kafka's murmur2),
  /// in order per partition. Retryable errors mean "full or unreachable: try later".
  virtual void Produce(std::string_view topic, std::span<const OutgoingRecord> records,
                       ProduceCallback done) = 0;
};

/// The read half of the queue seam: one member of a consumer group on one topic. Partitions are
/// shared among the group's members; a member reads only what it is assigned and commits
/// explicitly. Not thread-safe: one thread drives a consumer.
class Consumer {
 public:
  virtual ~Consumer() = default;

  /// Waits up to `timeout` for records of assigned partitions; returns at most `max_records`.
  /// Wakes on new data, never by polling the disk or the network in a loop.
  [[nodiscard]] virtual Result<std::vector<ConsumedRecord>> Poll(
      size_t max_records, std::chrono::milliseconds timeout) = 0;
  /// Stores the group's position (and metadata) for assigned partitions, durably.
  [[nodiscard]] virtual Result<void> Commit(std::span<const OffsetCommit> commits) = 0;
  [[nodiscard]] virtual Result<std::optional<CommittedOffset>> Committed(int32_t partition) = 0;
  /// Rewinds or skips an assigned partition so that the next Poll reads from `offset`.
  [[nodiscard]] virtual Result<void> Seek(int32_t partition, int64_t offset) = 0;
  [[nodiscard]] virtual std::vector<int32_t> Assignment() = 0;
  /// The group's lag on each partition assigned to this member.
  [[nodiscard]] virtual Result<std::vector<PartitionLag>> Lag() = 0;
};

/// A queue: produce, and join consumer groups. Thread-safe.
class Queue : public Producer {
 public:
  [[nodiscard]] virtual Result<std::unique_ptr<Consumer>> Subscribe(std::string group,
                                                                    std::string topic) = 0;
  /// Whether the queue can take writes now ("ready"); the error says why not.
  [[nodiscard]] virtual Result<void> CheckReady() = 0;
};

}  // namespace lp::queue
