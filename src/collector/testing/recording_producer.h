#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "queue/queue.h"

namespace lp::collector::test_support {

/// Records what the collector hands to the queue; answers every Produce at once with `result_`
/// and CheckReady with `ready_`. Nothing can subscribe to it.
class RecordingProducer : public queue::Queue {
 public:
  Result<std::unique_ptr<queue::Consumer>> Subscribe(std::string, std::string) override {
    return Permanent("a recording producer has no consumers");
  }
  Result<void> CheckReady() override { return ready_; }

  void Produce(std::string_view topic, std::span<const queue::OutgoingRecord> records,
               queue::ProduceCallback done) override {
    topic_ = std::string(topic);
    for (const auto& record : records) {
      keys_.emplace_back(record.key);
      values_.emplace_back(record.value);
    }
    done(result_);
  }

  Result<void> result_;
  Result<void> ready_;
  std::string topic_;
  std::vector<std::string> keys_;
  std::vector<std::string> values_;
};

}  // namespace lp::collector::test_support
