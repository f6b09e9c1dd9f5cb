#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "queue/queue.h"

namespace lp::collector::test_support {

/// Records what the collector hands to the queue; answers every Produce at once with `result_`.
class RecordingProducer : public queue::Producer {
 public:
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
  std::string topic_;
  std::vector<std::string> keys_;
  std::vector<std::string> values_;
};

}  // namespace lp::collector::test_support
