#include "processor/dead_letters.h"

#include <algorithm>
#include <future>
#include <map>

namespace lp::processor {
namespace {

DeadLetterRecord ToDeadLetter(const queue::ConsumedRecord& record) {
  DeadLetterRecord letter{
      .partition = record.partition, .offset = record.offset, .timestamp_ms = record.timestamp_ms};
  for (const auto& [name, field] : {std::pair{"error", &letter.error},
                                    {"stage", &letter.stage},
                                    {"source_topic", &letter.source_topic},
                                    {"source_partition", &letter.source_partition},
                                    {"source_offset", &letter.source_offset}}) {
    if (const auto* value = queue::FindHeader(record.headers, name)) *field = *value;
  }
  letter.value_cut = record.value.size() > kDeadLetterValueBytes;
  letter.value = record.value.substr(0, kDeadLetterValueBytes);
  return letter;
}

// The id of the event the dead letter holds: written by the processor, or (for dead letters
// written before it was) made from the source headers as the processor makes ids.
std::string OriginalId(const queue::ConsumedRecord& record) {
  if (const auto* id = queue::FindHeader(record.headers, queue::kOriginalIdHeader)) return *id;
  const auto* topic = queue::FindHeader(record.headers, "source_topic");
  const auto* partition = queue::FindHeader(record.headers, "source_partition");
  const auto* offset = queue::FindHeader(record.headers, "source_offset");
  if (topic == nullptr || partition == nullptr || offset == nullptr) return {};
  return *topic + "-" + *partition + "-" + *offset;
}

int64_t PendingOf(const std::vector<queue::PartitionLag>& lags) {
  int64_t pending = 0;
  for (const auto& lag : lags) pending += lag.messages;
  return pending;
}

}  // namespace

Result<queue::Consumer*> DeadLetters::Attach() {
  if (!consumer_) {
    auto consumer = queue_.Subscribe(options_.group, options_.dlq_topic);
    if (!consumer) return tl::unexpected(consumer.error());
    consumer_ = std::move(*consumer);
  }
  // A Kafka member is given its partitions inside Poll; what it reads meanwhile is read again
  // after the Seek of whoever asks.
  const auto deadline = std::chrono::steady_clock::now() + options_.assignment_timeout;
  while (consumer_->Assignment().empty()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return Retryable("the dead-letter topic " + options_.dlq_topic +
                       " has no partition assigned to this process yet");
    }
    if (auto polled = consumer_->Poll(1, options_.poll_timeout); !polled) {
      return tl::unexpected(polled.error());
    }
  }
  return consumer_.get();
}

Result<std::vector<queue::PartitionLag>> DeadLetters::AttachAndMeasure() {
  auto consumer = Attach();
  if (!consumer) return tl::unexpected(consumer.error());
  return (*consumer)->Lag();
}

Result<DeadLetterView> DeadLetters::Newest(size_t count) {
  std::lock_guard lock(mutex_);
  auto lags = AttachAndMeasure();
  if (!lags) return tl::unexpected(lags.error());
  auto* consumer = consumer_.get();
  DeadLetterView view{.pending = PendingOf(*lags), .newest = {}};
  std::map<int32_t, int64_t> ends;
  for (const auto& lag : *lags) {
    if (lag.messages <= 0) continue;
    const int64_t from = std::max(lag.position, lag.end - static_cast<int64_t>(count));
    if (auto sought = consumer->Seek(lag.partition, from); !sought) {
      return tl::unexpected(sought.error());
    }
    ends[lag.partition] = lag.end;
  }
  std::vector<queue::ConsumedRecord> records;
  const auto deadline = std::chrono::steady_clock::now() + options_.read_timeout;
  while (!ends.empty() && std::chrono::steady_clock::now() < deadline) {
    auto polled = consumer->Poll(1000, options_.poll_timeout);
    if (!polled) return tl::unexpected(polled.error());
    for (auto& record : *polled) {
      const auto end = ends.find(record.partition);
      if (end == ends.end() || record.offset >= end->second) continue;
      if (record.offset + 1 >= end->second) ends.erase(end);
      records.push_back(std::move(record));
    }
  }
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.timestamp_ms, a.partition, a.offset) >
           std::tie(b.timestamp_ms, b.partition, b.offset);
  });
  if (records.size() > count) records.resize(count);
  for (const auto& record : records) view.newest.push_back(ToDeadLetter(record));
  return view;
}

Result<RedriveOutcome> DeadLetters::Redrive(size_t max_records) {
  std::lock_guard lock(mutex_);
  auto lags = AttachAndMeasure();
  if (!lags) return tl::unexpected(lags.error());
  auto* consumer = consumer_.get();
  for (const auto& lag : *lags) {
    if (lag.messages <= 0) continue;
    if (auto sought = consumer->Seek(lag.partition, lag.position); !sought) {
      return tl::unexpected(sought.error());
    }
  }
  // What is pending now; records dead-lettered meanwhile wait for the next call.
  const int64_t target = std::min(static_cast<int64_t>(max_records), PendingOf(*lags));
  const auto deadline = std::chrono::steady_clock::now() + options_.read_timeout;
  RedriveOutcome outcome;
  while (outcome.redriven < target && std::chrono::steady_clock::now() < deadline) {
    const size_t wanted = static_cast<size_t>(std::min<int64_t>(1000, target - outcome.redriven));
    auto polled = consumer->Poll(wanted, options_.poll_timeout);
    if (!polled) return tl::unexpected(polled.error());
    if (polled->empty()) continue;
    std::vector<std::vector<queue::Header>> headers;
    headers.reserve(polled->size());
    std::vector<queue::OutgoingRecord> outgoing;
    std::map<int32_t, int64_t> next_offsets;
    for (const auto& record : *polled) {
      headers.emplace_back();
      if (auto id = OriginalId(record); !id.empty()) {
        headers.back().push_back({std::string(queue::kOriginalIdHeader), std::move(id)});
      }
      outgoing.push_back({record.key, record.value, record.timestamp_ms, headers.back()});
      next_offsets[record.partition] = record.offset + 1;
    }
    std::promise<Result<void>> done;
    queue_.Produce(options_.input_topic, outgoing,
                   [&done](Result<void> result) { done.set_value(std::move(result)); });
    if (auto produced = done.get_future().get(); !produced) {
      return tl::unexpected(
          Error{produced.error().error_class, "re-drove " + std::to_string(outcome.redriven) +
                                                  " records, then: " + produced.error().message});
    }
    std::vector<queue::OffsetCommit> commits;
    for (const auto& [partition, offset] : next_offsets) commits.push_back({partition, offset, ""});
    if (auto committed = consumer->Commit(commits); !committed) {
      // Produced but not marked: a later re-drive sends them again, under the same ids.
      return tl::unexpected(committed.error());
    }
    outcome.redriven += static_cast<int64_t>(polled->size());
  }
  auto left = consumer->Lag();
  if (!left) return tl::unexpected(left.error());
  outcome.pending = PendingOf(*left);
  return outcome;
}

}  // namespace lp::processor
