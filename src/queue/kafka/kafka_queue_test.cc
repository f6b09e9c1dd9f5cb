// What the Kafka queue does when it cannot store: these need no broker, only a loopback port
// where none listens.
#include "queue/kafka/kafka_queue.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

namespace lp::queue::kafka {
namespace {

using namespace std::chrono_literals;

// A socket bound to a free loopback port, listening if asked, and its "127.0.0.1:port".
std::pair<int, std::string> LoopbackSocket(bool listening) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  if (listening) {
    EXPECT_EQ(::listen(fd, 16), 0);
  }
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  return {fd, "127.0.0.1:" + std::to_string(ntohs(address.sin_port))};
}

// A loopback address with nothing listening: bound and closed again.
std::string UnreachableBroker() {
  const auto [fd, broker] = LoopbackSocket(false);
  ::close(fd);
  return broker;
}

// A loopback port that takes connections (the kernel completes them) and never answers: a hung
// broker. Closed when the returned descriptor is.
std::pair<int, std::string> SilentBroker() { return LoopbackSocket(true); }

Result<void> ProduceAndWait(KafkaQueue& queue, size_t count) {
  std::vector<OutgoingRecord> records(count, OutgoingRecord{"service", "event", 0, {}});
  std::promise<Result<void>> done;
  queue.Produce("app-logs", records, [&done](Result<void> result) { done.set_value(result); });
  return done.get_future().get();
}

TEST(KafkaQueueTest, AnswersRetryableWhenTheBrokerStaysUnreachable) {
  auto queue = KafkaQueue::Open(
      {.brokers = UnreachableBroker(), .producer_properties = {{"message.timeout.ms", "1000"}}});
  ASSERT_TRUE(queue.has_value()) << queue.error().message;
  const auto result = ProduceAndWait(**queue, 3);
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(result.error().retryable()) << result.error().message;
  EXPECT_FALSE((*queue)->CheckReady().has_value());
}

TEST(KafkaQueueTest, ReportsUnreachableBrokersFromItsBackgroundCheck) {
  auto queue = KafkaQueue::Open({.brokers = UnreachableBroker(),
                                 .readiness_check_interval = 100ms,
                                 .readiness_check_timeout = 500ms});
  ASSERT_TRUE(queue.has_value()) << queue.error().message;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  Result<void> ready = (*queue)->CheckReady();
  while ((ready || ready.error().message.find("unreachable") == std::string::npos) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    ready = (*queue)->CheckReady();
  }
  ASSERT_FALSE(ready.has_value());
  EXPECT_TRUE(ready.error().retryable());
  EXPECT_NE(ready.error().message.find("Kafka brokers 127.0.0.1:"), std::string::npos)
      << ready.error().message;
  EXPECT_NE(ready.error().message.find("(since "), std::string::npos) << ready.error().message;
}

// The background check waits 5 s for the hung broker's answer; a probe that asked the broker
// itself would wait as long and then say it timed out. Each call answers at once from what was
// published: nothing yet.
TEST(KafkaQueueTest, AnswersReadinessWhileTheBrokerHangs) {
  const auto [listener, broker] = SilentBroker();
  {
    auto queue = KafkaQueue::Open({.brokers = broker, .readiness_check_timeout = 5s});
    ASSERT_TRUE(queue.has_value()) << queue.error().message;
    for (int i = 0; i < 100; ++i) {
      const auto ready = (*queue)->CheckReady();
      ASSERT_FALSE(ready.has_value());
      ASSERT_NE(ready.error().message.find("no answer from the Kafka brokers yet"),
                std::string::npos)
          << ready.error().message;
    }
  }
  ::close(listener);
}

TEST(KafkaQueueTest, RefusesAtOnceWhenItsLocalQueueIsFull) {
  auto queue = KafkaQueue::Open({.brokers = UnreachableBroker(),
                                 .producer_properties = {{"queue.buffering.max.messages", "10"},
                                                         {"message.timeout.ms", "60000"}}});
  ASSERT_TRUE(queue.has_value()) << queue.error().message;
  const auto started = std::chrono::steady_clock::now();
  const auto result = ProduceAndWait(**queue, 50);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);  // Not the 60 s message timeout.
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(result.error().retryable());
  EXPECT_NE(result.error().message.find("queue full"), std::string::npos) << result.error().message;
}

TEST(KafkaQueueTest, NamesARefusedPropertyWithoutItsValue) {
  auto queue =
      KafkaQueue::Open({.brokers = "127.0.0.1:9",
                        .producer_properties = {{"security.protocol", "s3cr3t-nonsense"}}});
  ASSERT_FALSE(queue.has_value());
  EXPECT_NE(queue.error().message.find("security.protocol"), std::string::npos);
  EXPECT_EQ(queue.error().message.find("s3cr3t"), std::string::npos) << queue.error().message;
}

// Debian's librdkafka speaks TLS and SASL: a producer and consumers over SASL_SSL are created
// (no broker needed for that), and a CA file librdkafka cannot read stops the start, naming the
// property and never the password.
TEST(KafkaQueueTest, OpensOverSaslSslAndRefusesACaFileItCannotRead) {
  const Properties sasl_ssl{{"security.protocol", "SASL_SSL"},
                            {"sasl.mechanisms", "SCRAM-SHA-512"},
                            {"sasl.username", "logpipe"},
                            {"sasl.password", "hunter2"},
                            {"ssl.ca.location", "/etc/ssl/certs/ca-certificates.crt"}};
  auto opened = KafkaQueue::Open({.brokers = UnreachableBroker(),
                                  .producer_properties = sasl_ssl,
                                  .consumer_properties = sasl_ssl});
  ASSERT_TRUE(opened.has_value()) << opened.error().message;

  auto unreadable = sasl_ssl;
  unreadable["ssl.ca.location"] = "/nonexistent/kafka-ca.pem";
  const auto refused =
      KafkaQueue::Open({.brokers = UnreachableBroker(), .producer_properties = unreadable});
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("ssl.ca.location"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(refused.error().message.find("hunter2"), std::string::npos);
}

TEST(KafkaQueueTest, GivesUpCreatingTopicsAfterTheStartupTimeout) {
  auto queue = KafkaQueue::Open(
      {.brokers = UnreachableBroker(), .topics = {"app-logs"}, .startup_retry = {.deadline = 1s}});
  ASSERT_FALSE(queue.has_value());
  EXPECT_NE(queue.error().message.find("brokers 127.0.0.1:"), std::string::npos)
      << queue.error().message;
}

}  // namespace
}  // namespace lp::queue::kafka
