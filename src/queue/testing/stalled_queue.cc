#include "queue/testing/stalled_queue.h"

#include <thread>

namespace lp::queue::testing {
namespace {

class StalledConsumer final : public Consumer {
 public:
  explicit StalledConsumer(std::unique_ptr<Consumer> consumer) : consumer_(std::move(consumer)) {}

  Result<std::vector<ConsumedRecord>> Poll(size_t, std::chrono::milliseconds timeout) override {
    // What an idle queue does: nothing arrives within the timeout.
    std::this_thread::sleep_for(timeout);
    return std::vector<ConsumedRecord>{};
  }
  Result<void> Commit(std::span<const OffsetCommit> commits) override {
    return consumer_->Commit(commits);
  }
  Result<std::optional<CommittedOffset>> Committed(int32_t partition) override {
    return consumer_->Committed(partition);
  }
  Result<void> Seek(int32_t partition, int64_t offset) override {
    return consumer_->Seek(partition, offset);
  }
  std::vector<int32_t> Assignment() override { return consumer_->Assignment(); }
  Result<std::vector<PartitionLag>> Lag() override { return consumer_->Lag(); }

 private:
  std::unique_ptr<Consumer> consumer_;
};

class StalledQueue final : public Queue {
 public:
  explicit StalledQueue(std::unique_ptr<Queue> queue) : queue_(std::move(queue)) {}

  void Produce(std::string_view topic, std::span<const OutgoingRecord> records,
               ProduceCallback done) override {
    queue_->Produce(topic, records, std::move(done));
  }
  Result<std::unique_ptr<Consumer>> Subscribe(std::string group, std::string topic) override {
    auto consumer = queue_->Subscribe(std::move(group), std::move(topic));
    if (!consumer) return tl::unexpected(consumer.error());
    return std::unique_ptr<Consumer>(std::make_unique<StalledConsumer>(std::move(*consumer)));
  }
  Result<void> CheckReady() override { return queue_->CheckReady(); }

 private:
  std::unique_ptr<Queue> queue_;
};

}  // namespace

std::unique_ptr<Queue> StallConsumers(std::unique_ptr<Queue> queue) {
  return std::make_unique<StalledQueue>(std::move(queue));
}

}  // namespace lp::queue::testing
