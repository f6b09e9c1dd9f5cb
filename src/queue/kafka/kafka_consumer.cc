#include "queue/kafka/kafka_consumer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/logging.h"

namespace lp::queue::kafka {
namespace {

constexpr int kCoordinatorTimeoutMs = 10'000;

const Logger& Log() {
  static const Logger logger("kafka");
  return logger;
}

std::string Describe(const rd_kafka_topic_partition_list_t* partitions) {
  std::string text;
  for (int i = 0; i < partitions->cnt; ++i) {
    if (!text.empty()) text.push_back(',');
    text.append(partitions->elems[i].topic).push_back('-');
    text.append(std::to_string(partitions->elems[i].partition));
  }
  return text;
}

std::vector<Header> HeadersOf(const rd_kafka_message_t* message) {
  std::vector<Header> headers;
  rd_kafka_headers_t* raw = nullptr;
  if (rd_kafka_message_headers(message, &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return headers;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0;
       rd_kafka_header_get_all(raw, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    headers.push_back(Header{name, value != nullptr
                                       ? std::string(static_cast<const char*>(value), size)
                                       : std::string()});
  }
  return headers;
}

ConsumedRecord ToRecord(const rd_kafka_message_t* message) {
  ConsumedRecord record;
  record.topic = rd_kafka_topic_name(message->rkt);
  record.partition = message->partition;
  record.offset = message->offset;
  record.timestamp_ms = rd_kafka_message_timestamp(message, nullptr);
  if (message->key != nullptr) {
    record.key.assign(static_cast<const char*>(message->key), message->key_len);
  }
  if (message->payload != nullptr) {
    record.value.assign(static_cast<const char*>(message->payload), message->len);
  }
  record.headers = HeadersOf(message);
  return record;
}

}  // namespace

// Applies partition moves as the cooperative protocol hands them out (or the eager one, if a
// user configured it), and says what moved: operators read this when lag jumps.
void KafkaConsumer::OnRebalance(rd_kafka_t* handle, rd_kafka_resp_err_t reason,
                                rd_kafka_topic_partition_list_t* partitions, void* state) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(handle), "COOPERATIVE") == 0;
  ErrorPtr error;
  if (reason == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    Log().Info("partitions assigned",
               {{"client", rd_kafka_name(handle)}, {"partitions", Describe(partitions)}});
    if (cooperative) {
      error.reset(rd_kafka_incremental_assign(handle, partitions));
    } else if (const auto assigned = rd_kafka_assign(handle, partitions);
               assigned != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error.reset(rd_kafka_error_new(assigned, "%s", rd_kafka_err2str(assigned)));
    }
  } else {
    static_cast<RebalanceState*>(state)->revoked = true;
    Log().Info(rd_kafka_assignment_lost(handle) ? "partitions lost" : "partitions revoked",
               {{"client", rd_kafka_name(handle)}, {"partitions", Describe(partitions)}});
    if (cooperative) {
      error.reset(rd_kafka_incremental_unassign(handle, partitions));
    } else if (const auto unassigned = rd_kafka_assign(handle, nullptr);
               unassigned != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error.reset(rd_kafka_error_new(unassigned, "%s", rd_kafka_err2str(unassigned)));
    }
  }
  if (error) {
    Log().Error("cannot apply a rebalance", {{"error", rd_kafka_error_string(error.get())}});
  }
}

void KafkaConsumer::HandleCloser::operator()(rd_kafka_t* handle) const {
  // Leaves the group now, so the partitions move without waiting for the session timeout.
  if (const auto error = rd_kafka_consumer_close(handle); error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Log().Warn("leaving the consumer group failed", {{"error", rd_kafka_err2str(error)}});
  }
  rd_kafka_destroy(handle);
}

Result<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Create(const Properties& properties,
                                                             std::string topic) {
  auto conf = MakeConf(properties);
  if (!conf) return tl::unexpected(conf.error());
  auto rebalance = std::make_unique<RebalanceState>();
  rd_kafka_conf_set_opaque(conf->get(), rebalance.get());
  rd_kafka_conf_set_rebalance_cb(conf->get(), OnRebalance);
  RouteLogs(conf->get());
  char error_text[512];
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), error_text, sizeof(error_text));
  if (handle == nullptr) {
    return Permanent(std::string("cannot create a Kafka consumer: ") + error_text);
  }
  (void)conf.value().release();  // rd_kafka_new took it.
  std::unique_ptr<KafkaConsumer> consumer(
      new KafkaConsumer(std::move(rebalance), handle, std::move(topic)));
  rd_kafka_poll_set_consumer(handle);
  PartitionListPtr subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), consumer->topic_.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  if (const auto error = rd_kafka_subscribe(handle, subscription.get());
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError("cannot subscribe to " + consumer->topic_, error);
  }
  return consumer;
}

KafkaConsumer::~KafkaConsumer() = default;

Result<std::vector<ConsumedRecord>> KafkaConsumer::Poll(size_t max_records,
                                                        std::chrono::milliseconds timeout) {
  std::vector<ConsumedRecord> records;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  rebalance_->revoked = false;
  while (records.size() < max_records) {
    // Waits only for the first record; after that takes what is already fetched.
    int wait_ms = 0;
    if (records.empty()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      wait_ms = static_cast<int>(left.count());
    }
    MessagePtr message(rd_kafka_consumer_poll(handle_.get(), wait_ms));
    if (!message) {
      if (!records.empty()) break;
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (!records.empty()) break;
      return tl::unexpected(
          Error{IsRetryable(message->err) ? ErrorClass::kRetryable : ErrorClass::kPermanent,
                "Kafka consumer (" + topic_ + "): " + rd_kafka_message_errstr(message.get())});
    }
    records.push_back(ToRecord(message.get()));
  }
  if (rebalance_->revoked) {
    // A partition left while this batch was gathered: its records belong to the next owner now,
    // and handing them out would let this member commit (or archive) behind that owner's back.
    const auto assigned = Assignment();
    std::erase_if(records, [&assigned](const ConsumedRecord& record) {
      return !std::binary_search(assigned.begin(), assigned.end(), record.partition);
    });
  }
  return records;
}

PartitionListPtr KafkaConsumer::ListOf(int32_t partition) const {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partition);
  return list;
}

Result<void> KafkaConsumer::Commit(std::span<const OffsetCommit> commits) {
  if (commits.empty()) return {};
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(commits.size())));
  for (const auto& commit : commits) {
    auto* entry = rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), commit.partition);
    entry->offset = commit.next_offset;
    if (!commit.metadata.empty()) {
      // The list frees it on destruction.
      entry->metadata = std::malloc(commit.metadata.size());
      if (entry->metadata == nullptr) return Retryable("out of memory for commit metadata");
      std::memcpy(entry->metadata, commit.metadata.data(), commit.metadata.size());
      entry->metadata_size = commit.metadata.size();
    }
  }
  if (const auto error = rd_kafka_commit(handle_.get(), list.get(), 0);
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError("Kafka commit failed", error);
  }
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaError(
          "Kafka commit of partition " + std::to_string(list->elems[i].partition) + " failed",
          list->elems[i].err);
    }
  }
  return {};
}

Result<std::optional<CommittedOffset>> KafkaConsumer::Committed(int32_t partition) {
  auto list = ListOf(partition);
  if (const auto error = rd_kafka_committed(handle_.get(), list.get(), kCoordinatorTimeoutMs);
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError("cannot read the committed offset", error);
  }
  const auto& entry = list->elems[0];
  if (entry.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError("cannot read the committed offset", entry.err);
  }
  if (entry.offset < 0) return std::optional<CommittedOffset>();
  CommittedOffset committed{.next_offset = entry.offset, .metadata = {}};
  if (entry.metadata != nullptr) {
    committed.metadata.assign(static_cast<const char*>(entry.metadata), entry.metadata_size);
  }
  return std::optional<CommittedOffset>(std::move(committed));
}

Result<void> KafkaConsumer::Seek(int32_t partition, int64_t offset) {
  auto list = ListOf(partition);
  list->elems[0].offset = offset;
  ErrorPtr error(rd_kafka_seek_partitions(handle_.get(), list.get(), kCoordinatorTimeoutMs));
  if (error) return KafkaError("Kafka seek failed", rd_kafka_error_code(error.get()));
  if (list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError("Kafka seek failed", list->elems[0].err);
  }
  return {};
}

std::vector<int32_t> KafkaConsumer::Assignment() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(handle_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  PartitionListPtr list(raw);
  std::vector<int32_t> partitions;
  for (int i = 0; i < list->cnt; ++i) {
    if (topic_ == list->elems[i].topic) partitions.push_back(list->elems[i].partition);
  }
  std::sort(partitions.begin(), partitions.end());
  return partitions;
}

Result<std::vector<PartitionLag>> KafkaConsumer::Lag() {
  const auto partitions = Assignment();
  std::vector<PartitionLag> lags;
  if (partitions.empty()) return lags;
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const int32_t partition : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partition);
  }
  if (const auto error = rd_kafka_committed(handle_.get(), list.get(), kCoordinatorTimeoutMs);
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError("cannot read committed offsets", error);
  }
  for (int i = 0; i < list->cnt; ++i) {
    const auto& entry = list->elems[i];
    int64_t low = -1;
    int64_t high = -1;
    // The high watermark the last fetch saw; asked from the broker when nothing was fetched yet.
    if (rd_kafka_get_watermark_offsets(handle_.get(), topic_.c_str(), entry.partition, &low,
                                       &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0 || low < 0) {
      if (const auto error = rd_kafka_query_watermark_offsets(
              handle_.get(), topic_.c_str(), entry.partition, &low, &high, kCoordinatorTimeoutMs);
          error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return KafkaError("cannot read the end of partition " + std::to_string(entry.partition),
                          error);
      }
    }
    const int64_t from = entry.offset >= 0 ? entry.offset : low;
    lags.push_back(PartitionLag{entry.partition, std::max<int64_t>(0, high - from), from, high});
  }
  return lags;
}

}  // namespace lp::queue::kafka
