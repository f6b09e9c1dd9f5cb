#include "processor/processor.h"

#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "core/backoff.h"
#include "core/logging.h"

namespace lp::processor {
namespace {

using Clock = std::chrono::steady_clock;

const Logger& Log() {
  static const Logger logger("processor");
  return logger;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `<topic>-<partition>-<offset>`, or the original's for a copy (queue::kOriginalIdHeader).
std::string DocumentId(const queue::ConsumedRecord& record) {
  if (const auto* original = queue::FindHeader(record.headers, queue::kOriginalIdHeader)) {
    return *original;
  }
  std::string id;
  id.reserve(record.topic.size() + 24);
  id += record.topic;
  id.push_back('-');
  id += std::to_string(record.partition);
  id.push_back('-');
  id += std::to_string(record.offset);
  return id;
}

struct DeadLetter {
  const queue::ConsumedRecord* record;
  std::string error;
  std::string stage;
};

}  // namespace

Processor::Processor(ProcessorOptions options, queue::Queue& queue, search::SearchStore& store,
                     ProcessorMetrics& metrics, queue::ConsumerLagMetrics& lag_metrics)
    : options_(std::move(options)),
      queue_(queue),
      store_(store),
      metrics_(metrics),
      lag_metrics_(lag_metrics) {}

Processor::~Processor() { Stop(); }

Result<void> Processor::Start() {
  for (size_t i = 0; i < options_.workers; ++i) {
    auto consumer = queue_.Subscribe(options_.group, options_.topic);
    if (!consumer) return tl::unexpected(consumer.error());
    workers_.emplace_back([this, consumer = std::move(*consumer)](std::stop_token stop) mutable {
      Work(stop, std::move(consumer));
    });
  }
  return {};
}

void Processor::Stop() {
  for (auto& worker : workers_) worker.request_stop();
  workers_.clear();  // Joins.
}

void Processor::Work(std::stop_token stop, std::unique_ptr<queue::Consumer> consumer) {
  EventValidator validator(options_.event_limits);
  Normalizer normalizer;
  std::optional<GeoIpCache> geoip;
  if (options_.geoip != nullptr) geoip.emplace(*options_.geoip, options_.geoip_cache_entries);
  queue::LagReporter lag(lag_metrics_, options_.group);

  // Runs `attempt` until it succeeds, whatever its error (a damaged store included); after
  // attempts_before_pause it says so once and keeps trying (consumption is paused meanwhile).
  // False when stopping.
  const auto retry = [&](const char* what, auto&& attempt) {
    RetryChain chain(what, options_.retry, stop);
    while (true) {
      auto result = attempt();
      if (result) return true;
      if (chain.failures() + 1 == options_.attempts_before_pause) {
        Log().Warn("pausing consumption until this succeeds",
                   {{"operation", chain.name()}, {"error", result.error().message}});
      }
      if (!chain.BackOff()) return false;
    }
  };

  // Offsets are committed only up to what the store says is durable (a store may buffer
  // writes and make them durable later); partitions already checked against the store's
  // resume offsets.
  std::map<int32_t, int64_t> committed;
  std::set<int32_t> checked;
  const auto commit_durable = [&](std::span<const search::SourceOffset> handled) {
    auto durable = store_.Checkpoint(handled);
    if (!durable) {
      Log().Warn("search store checkpoint failed", {{"error", durable.error().message}});
      return;
    }
    const auto assigned = consumer->Assignment();
    std::vector<queue::OffsetCommit> commits;
    for (const auto& position : *durable) {
      if (std::find(assigned.begin(), assigned.end(), position.partition) == assigned.end()) {
        continue;
      }
      auto [it, inserted] = committed.emplace(position.partition, position.next_offset);
      if (!inserted && it->second == position.next_offset) continue;
      it->second = position.next_offset;
      commits.push_back({position.partition, position.next_offset, ""});
    }
    if (commits.empty()) return;
    if (auto done = consumer->Commit(commits); !done) {
      // Not fatal: the records come again and their ids make the rewrite harmless.
      Log().Warn("commit failed", {{"error", done.error().message}});
    }
  };

  while (!stop.stop_requested()) {
    Result<std::vector<queue::ConsumedRecord>> polled = Retryable("not polled");
    const bool received = retry("poll the queue", [&]() -> Result<void> {
      polled = consumer->Poll(options_.batch_size, options_.poll_timeout);
      if (!polled) return tl::unexpected(polled.error());
      return {};
    });
    if (!received) return;
    // A partition newly assigned resumes where the store is durable when that is before the
    // group's committed offset (the store set a corrupt part aside, or is new).
    const auto assigned = consumer->Assignment();
    std::erase_if(checked, [&](int32_t partition) {
      return std::find(assigned.begin(), assigned.end(), partition) == assigned.end();
    });
    for (const int32_t partition : assigned) {
      if (!checked.insert(partition).second) continue;
      const auto resume = store_.ResumeOffset(partition);
      if (!resume) continue;
      const auto group = consumer->Committed(partition);
      if (group && *group && (*group)->next_offset <= *resume) continue;
      if (auto sought = consumer->Seek(partition, *resume); !sought) {
        Log().Error("cannot rewind to where the search store is durable",
                    {{"partition", std::to_string(partition)}, {"error", sought.error().message}});
        checked.erase(partition);
        continue;
      }
      Log().Info("resuming where the search store is durable",
                 {{"partition", std::to_string(partition)}, {"offset", std::to_string(*resume)}});
      std::erase_if(*polled, [&](const auto& record) { return record.partition == partition; });
    }
    lag.Polled(*polled);
    lag.Report(*consumer);
    if (polled->empty()) {
      commit_durable({});
      continue;
    }
    const auto started = Clock::now();
    const auto& records = *polled;
    metrics_.ingested_events.Increment(records.size());

    std::vector<search::SearchDocument> documents;
    std::vector<const queue::ConsumedRecord*> sources;
    std::vector<DeadLetter> dead_letters;
    const int64_t ingested_at = NowMillis();
    for (const auto& record : records) {
      auto event = validator.Validate(record.value);
      if (!event) {
        dead_letters.push_back({&record, event.error().message, "validate"});
        continue;
      }
      const GeoLocation* geo = nullptr;
      if (geoip) {
        if (const auto address = Normalizer::IpAddressOf(*event)) geo = geoip->Lookup(*address);
      }
      documents.push_back(normalizer.Normalize(*event, record.value, DocumentId(record),
                                               record.timestamp_ms, ingested_at, geo));
      documents.back().source_partition = record.partition;
      documents.back().source_offset = record.offset;
      sources.push_back(&record);
    }

    if (!documents.empty()) {
      std::vector<search::DocumentOutcome> outcomes;
      bool store_damaged = false;
      int outage_tries = 0;
      const bool written = retry("write to the search store", [&]() -> Result<void> {
        auto result = store_.Write(documents);
        if (!result && result.error().error_class == ErrorClass::kStorageFault) {
          metrics_.es_write_errors.Increment();
          metrics_.store_faults.Increment();
          if (!store_damaged) {
            store_damaged = true;
            Log().Error("search store damaged: consumption stops until it is repaired",
                        {{"error", result.error().message}});
          }
          if (options_.readiness != nullptr) {
            options_.readiness->SetNotReady("search store damaged: " + result.error().message);
          }
          return tl::unexpected(result.error());
        }
        if (!result && result.error().retryable()) {
          metrics_.es_write_errors.Increment();
          // Paused for it: readiness says so (the store is down or refusing for load).
          if (++outage_tries >= options_.attempts_before_pause && options_.readiness != nullptr) {
            options_.readiness->SetNotReady("search store writes fail: " + result.error().message);
          }
          return tl::unexpected(result.error());
        }
        if (!result) {
          // The whole batch refused for good: every document of it is a dead letter.
          outcomes.assign(documents.size(), search::DocumentOutcome{false, result.error().message});
          return {};
        }
        outcomes = std::move(*result);
        return {};
      });
      if (!written) return;
      if (store_damaged || outage_tries >= options_.attempts_before_pause) {
        Log().Info("search store writable again; consumption resumes");
        if (options_.readiness != nullptr) options_.readiness->SetReady();
      }
      for (size_t i = 0; i < outcomes.size(); ++i) {
        if (outcomes[i].accepted) {
          metrics_.es_write_success.Increment();
        } else {
          metrics_.es_write_errors.Increment();
          dead_letters.push_back({sources[i], outcomes[i].error, "index"});
        }
      }
    }

    if (!dead_letters.empty()) {
      std::vector<std::vector<queue::Header>> headers;
      std::vector<queue::OutgoingRecord> outgoing;
      headers.reserve(dead_letters.size());
      for (const auto& letter : dead_letters) {
        headers.push_back({{"error", letter.error},
                           {"stage", letter.stage},
                           {"source_topic", letter.record->topic},
                           {"source_partition", std::to_string(letter.record->partition)},
                           {"source_offset", std::to_string(letter.record->offset)},
                           {std::string(queue::kOriginalIdHeader), DocumentId(*letter.record)}});
      }
      for (size_t i = 0; i < dead_letters.size(); ++i) {
        const auto* record = dead_letters[i].record;
        outgoing.push_back({record->key, record->value, record->timestamp_ms, headers[i]});
      }
      const bool sent = retry("produce to the dead-letter topic", [&]() -> Result<void> {
        std::promise<Result<void>> done;
        queue_.Produce(options_.dlq_topic, outgoing,
                       [&done](Result<void> result) { done.set_value(std::move(result)); });
        return done.get_future().get();
      });
      if (!sent) return;
      metrics_.dlq_events.Increment(dead_letters.size());
    }

    std::map<int32_t, int64_t> next_offsets;
    for (const auto& record : records) {
      next_offsets[record.partition] = std::max(next_offsets[record.partition], record.offset + 1);
    }
    std::vector<search::SourceOffset> handled;
    for (const auto& [partition, offset] : next_offsets) handled.push_back({partition, offset});
    commit_durable(handled);
    metrics_.processing_latency.Observe(
        std::chrono::duration<double>(Clock::now() - started).count());
  }
}

}  // namespace lp::processor
