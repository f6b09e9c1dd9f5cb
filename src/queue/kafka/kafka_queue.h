#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/backoff.h"
#include "core/metrics.h"
#include "queue/kafka/rdkafka_handles.h"
#include "queue/queue.h"

namespace lp::queue::kafka {

struct KafkaOptions {
  std::string brokers{};
  /// Producer properties set after logpipe's defaults (so they win): SASL, TLS, tuning.
  Properties producer_properties{};
  /// Consumer properties set after logpipe's defaults.
  Properties consumer_properties{};
  std::string compression = "lz4";
  /// Topics created at start when missing, with this many partitions and this retention.
  std::vector<std::string> topics{};
  int32_t topic_partitions = 6;
  std::chrono::milliseconds topic_retention = std::chrono::hours(24 * 7);
  /// How Open keeps trying to reach the cluster (to create the topics) before it gives up.
  RetryPolicy startup_retry{.initial_backoff = std::chrono::milliseconds(200),
                            .max_backoff = std::chrono::seconds(5),
                            .deadline = std::chrono::seconds(60)};
  /// How often a background thread asks the brokers for metadata, and how long it waits for
  /// the answer; CheckReady reports the last answer (or a broker error reported since).
  std::chrono::milliseconds readiness_check_interval = std::chrono::seconds(2);
  std::chrono::milliseconds readiness_check_timeout = std::chrono::seconds(2);
  /// Counts records the brokers acknowledged in Produce calls answered with an error (a
  /// partial failure: the caller retries the whole call, so these are stored twice). Optional.
  metrics::Counter* partially_failed_records = nullptr;
};

/// The distributed queue on Apache Kafka through librdkafka. Producing is idempotent with
/// acks=all, keyed by murmur2 as Java's clients do; a Produce call is answered when the broker
/// acknowledged every record, or with the first error. Kafka has no transaction across a call's
/// partitions here: records acknowledged before another failed stay in the topic (counted in
/// `partially_failed_records`), and a client retrying the refused call stores them twice. Each
/// Subscribe is a consumer of its own that commits only what it is told to. Readiness is the
/// state a background metadata check and librdkafka's error callback last published, so
/// CheckReady never waits on a broker. Thread-safe.
class KafkaQueue final : public Queue {
 public:
  [[nodiscard]] static Result<std::unique_ptr<KafkaQueue>> Open(KafkaOptions options);
  ~KafkaQueue() override;

  void Produce(std::string_view topic, std::span<const OutgoingRecord> records,
               ProduceCallback done) override;
  [[nodiscard]] Result<std::unique_ptr<Consumer>> Subscribe(std::string group,
                                                            std::string topic) override;
  [[nodiscard]] Result<void> CheckReady() override;

  /// Creates the topics that do not exist yet; existing ones are left as they are.
  [[nodiscard]] Result<void> EnsureTopics(const std::vector<std::string>& topics,
                                          int32_t partitions);
  /// Waits up to `timeout` for every record produced so far to be acknowledged.
  void Flush(std::chrono::milliseconds timeout);

 private:
  struct HandleDeleter {
    void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
  };

  explicit KafkaQueue(KafkaOptions options) : options_(std::move(options)) {}
  [[nodiscard]] Result<void> Initialize();
  void ServeDeliveryReports(std::stop_token stop);
  void CheckBrokers(std::stop_token stop);
  void PublishReadiness(Result<void> state);
  static void OnError(rd_kafka_t* handle, int error, const char* reason, void* queue);

  const KafkaOptions options_;
  std::unique_ptr<rd_kafka_t, HandleDeleter> producer_;
  std::jthread delivery_reports_;

  std::mutex ready_mutex_;
  Result<void> ready_ = Retryable("no answer from the Kafka brokers yet");
  std::chrono::system_clock::time_point not_ready_since_ = std::chrono::system_clock::now();
  // Last: it reads the members above, so it is joined before they go.
  std::jthread broker_checks_;
};

}  // namespace lp::queue::kafka
