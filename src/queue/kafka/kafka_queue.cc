#include "queue/kafka/kafka_queue.h"

#include <cstring>

#include "core/backoff.h"
#include "core/logging.h"
#include "core/timestamp.h"
#include "queue/kafka/kafka_consumer.h"

namespace lp::queue::kafka {
namespace {

const Logger& Log() {
  static const Logger logger("kafka");
  return logger;
}

/// One Produce call in flight. Answered at its first error (a full queue should not wait for the
/// records ahead of it) or when its last record is acknowledged; freed when librdkafka is done
/// with every record. The count starts one above the number of records so that the call itself
/// holds a reference until it has handed every record to librdkafka.
struct PendingProduce {
  PendingProduce(size_t records, ProduceCallback callback, metrics::Counter* partial)
      : outstanding(records + 1), done(std::move(callback)), partially_failed(partial) {}

  void Settle(size_t count, rd_kafka_resp_err_t error, std::string_view what) {
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR && !answered.exchange(true)) {
      failed.store(true);
      done(KafkaError(what, error));
    }
    if (outstanding.fetch_sub(count) == count) {
      if (!answered.exchange(true)) done({});
      if (failed.load() && acknowledged.load() > 0 && partially_failed != nullptr) {
        partially_failed->Increment(acknowledged.load());
      }
      delete this;
    }
  }

  std::atomic<size_t> outstanding;
  std::atomic<size_t> acknowledged{0};
  std::atomic<bool> answered{false};
  std::atomic<bool> failed{false};
  ProduceCallback done;
  metrics::Counter* partially_failed;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* pending = static_cast<PendingProduce*>(message->_private);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) pending->acknowledged.fetch_add(1);
  pending->Settle(1, message->err, "Kafka did not acknowledge the record");
}

Properties ProducerProperties(const KafkaOptions& options) {
  Properties properties{
      {"bootstrap.servers", options.brokers},
      {"client.id", "logpipe-producer"},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"compression.type", options.compression},
      // Java's DefaultPartitioner: records with the same key land where Java clients put them.
      {"partitioner", "murmur2_random"},
      {"linger.ms", "5"},
      {"batch.num.messages", "10000"},
      {"batch.size", "1048576"},
      // Bounds what waits in memory for the broker; past it Produce fails fast as "queue full"
      // and ingest answers 503, instead of the process growing.
      {"queue.buffering.max.kbytes", "131072"},
      {"queue.buffering.max.messages", "1000000"},
      // How long a record may wait for an unreachable broker before its request is answered 503.
      {"message.timeout.ms", "10000"},
  };
  for (const auto& [name, value] : options.producer_properties) properties[name] = value;
  return properties;
}

Properties ConsumerProperties(const KafkaOptions& options, const std::string& group) {
  Properties properties{
      {"bootstrap.servers", options.brokers},
      {"client.id", "logpipe-" + group},
      {"group.id", group},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"partition.assignment.strategy", "cooperative-sticky"},
      // A member that died (kill -9) hands its partitions over after this long.
      {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "2000"},
      {"fetch.wait.max.ms", "100"},
      {"queued.max.messages.kbytes", "16384"},
  };
  for (const auto& [name, value] : options.consumer_properties) properties[name] = value;
  return properties;
}

}  // namespace

Result<std::unique_ptr<KafkaQueue>> KafkaQueue::Open(KafkaOptions options) {
  if (options.brokers.empty()) return Permanent("no Kafka brokers configured");
  std::unique_ptr<KafkaQueue> queue(new KafkaQueue(std::move(options)));
  if (auto initialized = queue->Initialize(); !initialized) {
    return tl::unexpected(initialized.error());
  }
  return queue;
}

Result<void> KafkaQueue::Initialize() {
  // Refuse bad consumer properties now rather than at the first Subscribe.
  if (auto consumer_conf = MakeConf(ConsumerProperties(options_, "logpipe")); !consumer_conf) {
    return tl::unexpected(consumer_conf.error());
  }
  auto conf = MakeConf(ProducerProperties(options_));
  if (!conf) return tl::unexpected(conf.error());
  rd_kafka_conf_set_dr_msg_cb(conf->get(), OnDelivery);
  rd_kafka_conf_set_error_cb(conf->get(), OnError);
  rd_kafka_conf_set_opaque(conf->get(), this);
  RouteLogs(conf->get());
  char error_text[512];
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), error_text, sizeof(error_text));
  if (handle == nullptr)
    return Permanent(std::string("cannot create a Kafka producer: ") + error_text);
  (void)conf->release();  // rd_kafka_new took it.
  producer_.reset(handle);
  delivery_reports_ = std::jthread([this](std::stop_token stop) { ServeDeliveryReports(stop); });
  broker_checks_ = std::jthread([this](std::stop_token stop) { CheckBrokers(stop); });

  if (options_.topics.empty()) return {};
  RetryChain chain("create Kafka topics", options_.startup_retry);
  while (true) {
    auto created = EnsureTopics(options_.topics, options_.topic_partitions);
    if (created) {
      PublishReadiness({});
      return {};
    }
    const auto give_up = [&] {
      return tl::unexpected(Error{created.error().error_class,
                                  created.error().message + " (brokers " + options_.brokers + ")"});
    };
    if (!created.error().retryable()) return give_up();
    Log().Warn("Kafka is not reachable yet; retrying",
               {{"brokers", options_.brokers}, {"error", created.error().message}});
    if (!chain.BackOff()) return give_up();
  }
}

KafkaQueue::~KafkaQueue() {
  if (!producer_) return;
  broker_checks_ = {};  // Joins: it uses the producer.
  Flush(std::chrono::seconds(10));
  delivery_reports_ = {};  // Joins.
  // Whatever is still queued is answered as failed, so no caller waits forever.
  rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_flush(producer_.get(), 1000);  // Serves the purged records' reports.
}

void KafkaQueue::ServeDeliveryReports(std::stop_token stop) {
  while (!stop.stop_requested()) rd_kafka_poll(producer_.get(), 100);
}

void KafkaQueue::Flush(std::chrono::milliseconds timeout) {
  if (const auto error = rd_kafka_flush(producer_.get(), static_cast<int>(timeout.count()));
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Log().Warn("records still unacknowledged after flushing", {{"error", rd_kafka_err2str(error)}});
  }
}

void KafkaQueue::Produce(std::string_view topic, std::span<const OutgoingRecord> records,
                         ProduceCallback done) {
  auto* pending =
      new PendingProduce(records.size(), std::move(done), options_.partially_failed_records);
  const std::string topic_name(topic);
  size_t handed_over = 0;
  for (const auto& record : records) {
    rd_kafka_headers_t* headers = nullptr;
    if (!record.headers.empty()) {
      headers = rd_kafka_headers_new(record.headers.size());
      for (const auto& header : record.headers) {
        rd_kafka_header_add(headers, header.name.data(), static_cast<ssize_t>(header.name.size()),
                            header.value.data(), static_cast<ssize_t>(header.value.size()));
      }
    }
    const auto error = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic_name.c_str()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(const_cast<char*>(record.key.data()), record.key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
        RD_KAFKA_V_TIMESTAMP(record.timestamp_ms), RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(pending), RD_KAFKA_V_END);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (headers != nullptr) rd_kafka_headers_destroy(headers);  // Still ours on failure.
      // Later records must not overtake this one, so the rest of the call is refused too.
      pending->Settle(records.size() - handed_over + 1, error,
                      error == RD_KAFKA_RESP_ERR__QUEUE_FULL ? "Kafka producer queue full"
                                                             : "Kafka refused the record");
      return;
    }
    ++handed_over;
  }
  pending->Settle(1, RD_KAFKA_RESP_ERR_NO_ERROR, "");
}

Result<std::unique_ptr<Consumer>> KafkaQueue::Subscribe(std::string group, std::string topic) {
  auto consumer = KafkaConsumer::Create(ConsumerProperties(options_, group), std::move(topic));
  if (!consumer) return tl::unexpected(consumer.error());
  return std::unique_ptr<Consumer>(std::move(*consumer));
}

Result<void> KafkaQueue::CheckReady() {
  std::lock_guard lock(ready_mutex_);
  if (ready_) return {};
  const auto since_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(not_ready_since_.time_since_epoch())
          .count();
  return tl::unexpected(Error{ready_.error().error_class, ready_.error().message + " (since " +
                                                              FormatRfc3339Millis(since_ms) + ")"});
}

void KafkaQueue::PublishReadiness(Result<void> state) {
  std::lock_guard lock(ready_mutex_);
  if (ready_ && !state) not_ready_since_ = std::chrono::system_clock::now();
  ready_ = std::move(state);
}

void KafkaQueue::CheckBrokers(std::stop_token stop) {
  do {
    const rd_kafka_metadata_t* metadata = nullptr;
    const auto error =
        rd_kafka_metadata(producer_.get(), 0, nullptr, &metadata,
                          static_cast<int>(options_.readiness_check_timeout.count()));
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(metadata);
      PublishReadiness({});
    } else {
      PublishReadiness(KafkaError("Kafka brokers " + options_.brokers + " unreachable", error));
    }
  } while (SleepUnlessStopped(stop, options_.readiness_check_interval));
}

// Served by the delivery report thread's rd_kafka_poll. Most errors are librdkafka saying what
// it retries by itself; losing every broker is what readiness must show before the next check.
// Transport failures are not logged again: librdkafka's own log line (FAIL) said so.
void KafkaQueue::OnError(rd_kafka_t*, int error, const char* reason, void* opaque) {
  auto* queue = static_cast<KafkaQueue*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(error);
  if (code != RD_KAFKA_RESP_ERR__TRANSPORT) {
    Log().Warn("Kafka client error", {{"error", rd_kafka_err2str(code)}, {"reason", reason}});
  }
  if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    queue->PublishReadiness(
        KafkaError("Kafka brokers " + queue->options_.brokers + " unreachable", code));
  }
}

Result<void> KafkaQueue::EnsureTopics(const std::vector<std::string>& topics, int32_t partitions) {
  char error_text[512];
  const std::string retention = std::to_string(options_.topic_retention.count());
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  const auto release_topics = [&] {
    rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
  };
  for (const auto& name : topics) {
    // -1: the broker's default replication factor.
    auto* new_topic =
        rd_kafka_NewTopic_new(name.c_str(), partitions, -1, error_text, sizeof(error_text));
    if (new_topic == nullptr) {
      release_topics();
      return Permanent("topic \"" + name + "\": " + error_text);
    }
    new_topics.push_back(new_topic);
    if (rd_kafka_NewTopic_set_config(new_topic, "retention.ms", retention.c_str()) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      release_topics();
      return Permanent("topic \"" + name + "\": cannot set retention.ms");
    }
  }
  QueuePtr results(rd_kafka_queue_new(producer_.get()));
  rd_kafka_AdminOptions_t* admin_options =
      rd_kafka_AdminOptions_new(producer_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(admin_options, 10'000, error_text, sizeof(error_text));
  rd_kafka_CreateTopics(producer_.get(), new_topics.data(), new_topics.size(), admin_options,
                        results.get());
  rd_kafka_AdminOptions_destroy(admin_options);
  release_topics();

  EventPtr event(rd_kafka_queue_poll(results.get(), 15'000));
  if (!event) return Retryable("creating Kafka topics timed out");
  if (const auto error = rd_kafka_event_error(event.get()); error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError("cannot create Kafka topics", error);
  }
  size_t count = 0;
  const rd_kafka_topic_result_t** created =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const auto error = rd_kafka_topic_result_error(created[i]);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Log().Info("created topic", {{"topic", rd_kafka_topic_result_name(created[i])},
                                   {"partitions", std::to_string(partitions)}});
    } else if (error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* text = rd_kafka_topic_result_error_string(created[i]);
      return tl::unexpected(
          Error{IsRetryable(error) ? ErrorClass::kRetryable : ErrorClass::kPermanent,
                std::string("cannot create topic \"") + rd_kafka_topic_result_name(created[i]) +
                    "\": " + (text != nullptr ? text : rd_kafka_err2str(error))});
    }
  }
  return {};
}

}  // namespace lp::queue::kafka
