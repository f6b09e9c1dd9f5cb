#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

#include "core/result.h"

namespace lp::queue::kafka {

// Owners for librdkafka's C objects, so that every path releases them.
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

/// Librdkafka properties by name, as `rd_kafka_conf_set` takes them.
using Properties = std::map<std::string, std::string>;

/// A configuration with every property set, or an error naming the property librdkafka refused
/// (never its value: it may be a secret).
[[nodiscard]] Result<ConfPtr> MakeConf(const Properties& properties);

/// Sends librdkafka's own log lines to logpipe's log (component "kafka") instead of its stderr
/// format.
void RouteLogs(rd_kafka_conf_t* conf);

/// Whether librdkafka reports this error as one that may clear by itself (broker down, timeout,
/// queue full, rebalance in progress).
[[nodiscard]] bool IsRetryable(rd_kafka_resp_err_t error);

/// An lp::Error for a librdkafka error code, prefixed with what was being done.
[[nodiscard]] tl::unexpected<Error> KafkaError(std::string_view what, rd_kafka_resp_err_t error);

}  // namespace lp::queue::kafka
