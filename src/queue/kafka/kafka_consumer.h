#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>

#include "queue/kafka/rdkafka_handles.h"
#include "queue/queue.h"

namespace lp::queue::kafka {

/// One member of a Kafka consumer group on one topic. Partitions arrive and leave by cooperative
/// rebalancing inside Poll, so between two Polls the assignment does not change; offsets are
/// committed only through Commit. Leaves the group on destruction. Not thread-safe.
class KafkaConsumer final : public Consumer {
 public:
  /// `properties` are complete (brokers, group and logpipe's defaults included).
  [[nodiscard]] static Result<std::unique_ptr<KafkaConsumer>> Create(const Properties& properties,
                                                                     std::string topic);
  ~KafkaConsumer() override;

  [[nodiscard]] Result<std::vector<ConsumedRecord>> Poll(
      size_t max_records, std::chrono::milliseconds timeout) override;
  [[nodiscard]] Result<void> Commit(std::span<const OffsetCommit> commits) override;
  [[nodiscard]] Result<std::optional<CommittedOffset>> Committed(int32_t partition) override;
  [[nodiscard]] Result<void> Seek(int32_t partition, int64_t offset) override;
  [[nodiscard]] std::vector<int32_t> Assignment() override;
  [[nodiscard]] Result<std::vector<PartitionLag>> Lag() override;

 private:
  struct HandleCloser {
    void operator()(rd_kafka_t* handle) const;
  };
  /// What the rebalance callback tells Poll; owned apart from the consumer because librdkafka
  /// holds its address from before the consumer exists until after the handle is closed.
  struct RebalanceState {
    bool revoked = false;
  };

  KafkaConsumer(std::unique_ptr<RebalanceState> rebalance, rd_kafka_t* handle, std::string topic)
      : rebalance_(std::move(rebalance)), handle_(handle), topic_(std::move(topic)) {}
  [[nodiscard]] PartitionListPtr ListOf(int32_t partition) const;
  static void OnRebalance(rd_kafka_t* handle, rd_kafka_resp_err_t reason,
                          rd_kafka_topic_partition_list_t* partitions, void* state);

  std::unique_ptr<RebalanceState> rebalance_;  // Declared first: it outlives the handle.
  std::unique_ptr<rd_kafka_t, HandleCloser> handle_;
  const std::string topic_;
};

}  // namespace lp::queue::kafka
