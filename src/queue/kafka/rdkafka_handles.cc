#include "queue/kafka/rdkafka_handles.h"

#include "core/logging.h"

namespace lp::queue::kafka {

Result<ConfPtr> MakeConf(const Properties& properties) {
  ConfPtr conf(rd_kafka_conf_new());
  char error_text[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error_text,
                          sizeof(error_text)) != RD_KAFKA_CONF_OK) {
      // librdkafka quotes the value, which may be a password.
      std::string reason(error_text);
      for (size_t at = 0; !value.empty() && (at = reason.find(value, at)) != std::string::npos;) {
        reason.replace(at, value.size(), "(value hidden)");
      }
      return Permanent("Kafka property \"" + name + "\": " + reason);
    }
  }
  return conf;
}

void RouteLogs(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(
      conf, [](const rd_kafka_t* handle, int level, const char* facility, const char* text) {
        static const Logger logger("kafka");
        // syslog levels: 0-3 errors, 4 warnings, 5-6 notices and information, 7 debugging.
        const LogSeverity severity = level <= 3   ? LogSeverity::kError
                                     : level == 4 ? LogSeverity::kWarn
                                     : level <= 6 ? LogSeverity::kInfo
                                                  : LogSeverity::kDebug;
        logger.Log(severity, text, {{"client", rd_kafka_name(handle)}, {"facility", facility}});
      });
}

bool IsRetryable(rd_kafka_resp_err_t error) {
  switch (error) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
      return true;
    default:
      return false;
  }
}

tl::unexpected<Error> KafkaError(std::string_view what, rd_kafka_resp_err_t error) {
  std::string message(what);
  message.append(": ").append(rd_kafka_err2str(error));
  return tl::unexpected(
      Error{IsRetryable(error) ? ErrorClass::kRetryable : ErrorClass::kPermanent, message});
}

}  // namespace lp::queue::kafka
