#include "app/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "queue/kafka/rdkafka_handles.h"

namespace lp::app {
namespace {

TEST(ConfigTest, DefaultsMatchTheDesign) {
  Config config;
  EXPECT_TRUE(LoadConfig(std::nullopt, {}, {}, config).empty());
  EXPECT_EQ(config.collector_port, 8081);
  EXPECT_EQ(config.metrics_port, 8080);
  EXPECT_EQ(config.data_dir, "./data");
  EXPECT_EQ(config.max_body_bytes, 10u << 20);
  EXPECT_EQ(config.spool_partitions, 8u);
  EXPECT_EQ(config.spool_retention, std::chrono::hours(24 * 7));
  EXPECT_EQ(config.search_retention_days, 30u);
  EXPECT_EQ(config.search_retention_bytes, 0u);
  EXPECT_EQ(config.search_store, "logstore");
}

TEST(ConfigTest, ChoosesTheEmbeddedSearchStoreAndItsSizeCap) {
  Config config;
  EXPECT_TRUE(LoadConfig(std::nullopt,
                         {{"SEARCH_STORE", "sqlite"}, {"SEARCH_RETENTION_BYTES", "2GiB"}}, {},
                         config)
                  .empty());
  EXPECT_EQ(config.search_store, "sqlite");
  EXPECT_EQ(config.search_retention_bytes, 2ULL << 30);
  Config refused;
  const auto problems = LoadConfig(std::nullopt, {{"SEARCH_STORE", "lucene"}}, {}, refused);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("SEARCH_STORE"), std::string::npos) << problems[0];
}

TEST(ConfigTest, FlagsBeatEnvironmentWhichBeatsTheFile) {
  const auto path = std::filesystem::path(testing::TempDir()) /
                    ("logpipe_config_" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << "collector_port = 9001\nmetrics-port = 9002\nmax-body-bytes = \"1MiB\"\n";
  Config config;
  const auto problems = LoadConfig(path, {{"METRICS_PORT", "9102"}, {"COLLECTOR_PORT", "9101"}},
                                   {{"collector-port", "9201"}}, config);
  std::filesystem::remove(path);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(config.collector_port, 9201);
  EXPECT_EQ(config.metrics_port, 9102);
  EXPECT_EQ(config.max_body_bytes, 1u << 20);
}

TEST(ConfigTest, NamesEveryBadSettingAndItsSource) {
  Config config;
  const auto problems =
      LoadConfig(std::nullopt, {{"COLLECTOR_PORT", "eighty"}, {"SPOOL_FSYNC", "sometimes"}},
                 {{"max-body-bytes", "lots"}}, config);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("collector-port (environment variable COLLECTOR_PORT)"),
            std::string::npos);
  EXPECT_NE(
      problems[1].find(
          "spool-fsync (environment variable SPOOL_FSYNC): must be one of always interval never"),
      std::string::npos);
  EXPECT_NE(problems[2].find("max-body-bytes (--max-body-bytes)"), std::string::npos);
}

TEST(ConfigTest, DurationsWithoutAUnitAreRefused) {
  for (const char* bare : {"7", "0", "3600"}) {
    Config config;
    const auto problems = LoadConfig(std::nullopt, {{"SPOOL_RETENTION", bare}}, {}, config);
    ASSERT_EQ(problems.size(), 1u) << bare;
    EXPECT_NE(problems[0].find("spool-retention (environment variable SPOOL_RETENTION): must be a "
                               "duration such as"),
              std::string::npos)
        << problems[0];
  }
  Config config;
  EXPECT_TRUE(LoadConfig(std::nullopt, {{"SPOOL_RETENTION", "36h"}}, {}, config).empty());
  EXPECT_EQ(config.spool_retention, std::chrono::hours(36));
}

TEST(ConfigTest, SpoolRetentionUnderAnHourNeedsToBeAllowed) {
  Config config;
  const auto problems = LoadConfig(std::nullopt, {{"SPOOL_RETENTION", "0s"}}, {}, config);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("spool-retention (SPOOL_RETENTION) must be at least 1h"),
            std::string::npos);
  Config allowed;
  EXPECT_TRUE(LoadConfig(std::nullopt,
                         {{"SPOOL_RETENTION", "5s"}, {"SPOOL_ALLOW_SHORT_RETENTION", "true"}}, {},
                         allowed)
                  .empty());
  EXPECT_EQ(allowed.spool_retention, std::chrono::seconds(5));
}

TEST(ConfigTest, RefusesBucketNamesS3WouldRefuse) {
  const std::vector<std::string> bad_names = {
      "Logs", "a", "logs_archive", "-logs", "logs-", "192.168.1.1", "a..b", std::string(64, 'a')};
  for (const auto& bad : bad_names) {
    Config config;
    const auto problems = LoadConfig(std::nullopt, {{"S3_BUCKET", bad}}, {}, config);
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_NE(problems[0].find("s3-bucket (S3_BUCKET) must be a valid bucket name"),
              std::string::npos);
  }
  for (const char* good : {"logs-archive", "archive-0", "my.logs.2026", "abc"}) {
    EXPECT_TRUE(IsValidBucketName(good)) << good;
  }
}

TEST(ConfigTest, WarnsAboutUnknownVariablesWithOurPrefixes) {
  const auto warnings = UnknownVariableWarnings({{"SPOOL_RETENTON", "7d"},
                                                 {"LOGPIPE_DATADIR", "/tmp"},
                                                 {"SPOOL_RETENTION", "7d"},
                                                 {"KAFKA_PRODUCER_LINGER_MS", "5"},
                                                 {"HOME", "/root"},
                                                 {"PATH", "/bin"}});
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("LOGPIPE_DATADIR is not a logpipe setting; ignored (did you mean "
                             "LOGPIPE_DATA_DIR?)"),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("SPOOL_RETENTON is not a logpipe setting; ignored (did you mean "
                             "SPOOL_RETENTION?)"),
            std::string::npos)
      << warnings[1];
}

TEST(ConfigTest, EitherKafkaNameSelectsTheCluster) {
  Config config;
  EXPECT_TRUE(config.KafkaCluster().empty());  // The embedded spool.
  ASSERT_TRUE(LoadConfig(std::nullopt, {{"KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"}}, {}, config)
                  .empty());
  EXPECT_EQ(config.KafkaCluster(), "127.0.0.1:9092");
  EXPECT_EQ(config.input_topic, "app-logs");
  EXPECT_EQ(config.dlq_topic, "dlq");
  EXPECT_EQ(config.kafka_compression, "lz4");
  EXPECT_EQ(config.kafka_topic_partitions, 6u);
}

TEST(ConfigTest, PassesLibrdkafkaPropertiesThroughAndNeverShowsTheirValues) {
  const auto path = std::filesystem::path(testing::TempDir()) /
                    ("logpipe_config_kafka_" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << "[kafka]\n\"security.protocol\" = \"SASL_SSL\"\n"
                         "[kafka.consumer]\n\"fetch.wait.max.ms\" = 50\n";
  Config config;
  const auto problems = LoadConfig(path,
                                   {{"KAFKA_PRODUCER_SASL_PASSWORD", "hunter2"},
                                    {"KAFKA_CONSUMER_SESSION_TIMEOUT_MS", "6000"},
                                    {"KAFKA_BROKERS", "127.0.0.1:9092"}},
                                   {}, config);
  std::filesystem::remove(path);
  ASSERT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(config.kafka_producer_properties.at("sasl.password"), "hunter2");
  EXPECT_EQ(config.kafka_producer_properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(config.kafka_consumer_properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(config.kafka_consumer_properties.at("fetch.wait.max.ms"), "50");
  EXPECT_EQ(config.kafka_consumer_properties.at("session.timeout.ms"), "6000");
  EXPECT_FALSE(config.kafka_consumer_properties.contains("sasl.password"));
  const auto shown = DescribeConfig(config);
  EXPECT_NE(shown.find("sasl.password"), std::string::npos);
  EXPECT_EQ(shown.find("hunter2"), std::string::npos) << shown;
}

// The variables docs/SECURITY.md gives for Kafka over SASL_SSL reach librdkafka's
// configuration of the producer and of the consumers as written.
TEST(ConfigTest, KafkaTlsAndSaslVariablesReachLibrdkafka) {
  const std::map<std::string, std::string> wanted{
      {"security.protocol", "sasl_ssl"},
      {"sasl.mechanisms", "SCRAM-SHA-512"},
      {"sasl.username", "logpipe"},
      {"sasl.password", "hunter2"},
      {"ssl.ca.location", "/etc/logpipe/kafka-ca.pem"},
      {"ssl.endpoint.identification.algorithm", "https"}};
  std::map<std::string, std::string> env{{"KAFKA_BROKERS", "127.0.0.1:9093"}};
  for (const std::string role : {"PRODUCER", "CONSUMER"}) {
    env["KAFKA_" + role + "_SECURITY_PROTOCOL"] = "SASL_SSL";
    env["KAFKA_" + role + "_SASL_MECHANISMS"] = "SCRAM-SHA-512";
    env["KAFKA_" + role + "_SASL_USERNAME"] = "logpipe";
    env["KAFKA_" + role + "_SASL_PASSWORD"] = "hunter2";
    env["KAFKA_" + role + "_SSL_CA_LOCATION"] = "/etc/logpipe/kafka-ca.pem";
    env["KAFKA_" + role + "_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM"] = "https";
  }
  Config config;
  const auto problems = LoadConfig(std::nullopt, env, {}, config);
  ASSERT_TRUE(problems.empty()) << problems.front();
  for (const auto* properties :
       {&config.kafka_producer_properties, &config.kafka_consumer_properties}) {
    auto conf = queue::kafka::MakeConf(*properties);
    ASSERT_TRUE(conf.has_value()) << conf.error().message;
    for (const auto& [name, value] : wanted) {
      char read[256];
      size_t size = sizeof(read);
      ASSERT_EQ(rd_kafka_conf_get(conf->get(), name.c_str(), read, &size), RD_KAFKA_CONF_OK)
          << name;
      EXPECT_EQ(std::string(read), value) << name;
    }
  }
}

TEST(ConfigTest, RejectsUnknownKeysInTheFile) {
  const auto path = std::filesystem::path(testing::TempDir()) /
                    ("logpipe_config_unknown_" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << "colector_port = 1\n";
  Config config;
  const auto problems = LoadConfig(path, {}, {}, config);
  std::filesystem::remove(path);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("unknown setting \"colector_port\""), std::string::npos);
}

TEST(ConfigTest, ChecksSettingsAgainstEachOther) {
  Config config;
  const auto problems = LoadConfig(
      std::nullopt, {{"SPOOL_MAX_BYTES", "1MiB"}, {"SPOOL_SEGMENT_BYTES", "512KiB"}}, {}, config);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("at most a quarter"), std::string::npos);
}

TEST(ConfigTest, TlsFilesComeTogether) {
  for (const auto& [env, expected] :
       std::vector<std::pair<std::map<std::string, std::string>, std::string>>{
           {{{"TLS_CERT_FILE", "cert.pem"}}, "must be set together"},
           {{{"TLS_KEY_FILE", "key.pem"}}, "must be set together"},
           {{{"TLS_CLIENT_CA_FILE", "ca.pem"}}, "mutual TLS is TLS first"},
           {{{"SYSLOG_TLS_PORT", "6514"}}, "syslog-tls-port (SYSLOG_TLS_PORT) needs tls-cert-file"},
           {{{"TLS_CERT_FILE", "cert.pem"},
             {"TLS_KEY_FILE", "key.pem"},
             {"SYSLOG_PORT", "6514"},
             {"SYSLOG_TLS_PORT", "6514"}},
            "must differ"}}) {
    Config config;
    const auto problems = LoadConfig(std::nullopt, env, {}, config);
    ASSERT_EQ(problems.size(), 1u) << expected;
    EXPECT_NE(problems[0].find(expected), std::string::npos) << problems[0];
  }
  Config config;
  EXPECT_TRUE(LoadConfig(std::nullopt,
                         {{"TLS_CERT_FILE", "cert.pem"},
                          {"TLS_KEY_FILE", "key.pem"},
                          {"TLS_CLIENT_CA_FILE", "ca.pem"},
                          {"S3_CA_FILE", "s3-ca.pem"},
                          {"SYSLOG_PORT", "0"},
                          {"SYSLOG_TLS_PORT", "0"}},
                         {}, config)
                  .empty());
  EXPECT_EQ(config.tls_client_ca_file, "ca.pem");
  EXPECT_EQ(config.syslog_tls_port, uint16_t{0});
  EXPECT_EQ(config.s3_ca_file, "s3-ca.pem");
  EXPECT_EQ(UnknownVariableWarnings({{"TLS_CERT", "cert.pem"}}),
            std::vector<std::string>{"environment variable TLS_CERT is not a logpipe setting; "
                                     "ignored (did you mean TLS_CERT_FILE?)"});
}

TEST(ConfigTest, MasksTheAuthToken) {
  Config config;
  EXPECT_TRUE(LoadConfig(std::nullopt, {{"COLLECTOR_AUTH_TOKEN", "hunter2"}}, {}, config).empty());
  for (const auto& setting : Settings()) {
    EXPECT_EQ(ShowSetting(setting, config).find("hunter2"), std::string::npos) << setting.name;
  }
  EXPECT_EQ(config.auth_token.reveal(), "hunter2");
}

TEST(ConfigTest, DocsConfigMdIsTheSettingsTable) {
  std::ifstream file(std::filesystem::path(LOGPIPE_SOURCE_DIR) / "docs" / "CONFIG.md");
  ASSERT_TRUE(file.good()) << "docs/CONFIG.md is missing";
  const std::string written((std::istreambuf_iterator<char>(file)), {});
  EXPECT_EQ(written, SettingsMarkdown())
      << "docs/CONFIG.md is out of step with the settings table: run "
         "`logpipe config --markdown > docs/CONFIG.md`";
}

TEST(ConfigTest, EverySettingParsesWhatItShowsAsItsDefault) {
  const Config defaults;
  for (const auto& setting : Settings()) {
    if (std::holds_alternative<Secret Config::*>(setting.field)) continue;  // Shown masked.
    Config config;
    const auto problem = ApplySetting(setting, ShowSetting(setting, defaults), config);
    EXPECT_FALSE(problem.has_value()) << setting.name << ": " << *problem;
    EXPECT_EQ(ShowSetting(setting, config), ShowSetting(setting, defaults)) << setting.name;
  }
}

TEST(ConfigTest, EveryNameAndVariableIsUnique) {
  std::set<std::string> names;
  std::set<std::string> variables;
  for (const auto& setting : Settings()) {
    EXPECT_TRUE(names.insert(setting.name).second) << setting.name;
    EXPECT_TRUE(variables.insert(setting.env).second) << setting.env;
    EXPECT_FALSE(setting.description.empty()) << setting.name;
  }
}

TEST(ConfigTest, SaysWhatEachSettingAllows) {
  const auto allowed = [](std::string_view name) {
    for (const auto& setting : Settings()) {
      if (setting.name == name) return AllowedValues(setting);
    }
    return std::string("no such setting");
  };
  EXPECT_EQ(allowed("spool-partitions"), "a whole number from 1 to 1024");
  EXPECT_EQ(allowed("spool-fsync"), "one of always, interval, never");
  EXPECT_EQ(allowed("spool-max-bytes"), "a size of at least 64KiB (10MiB, 1048576)");
  EXPECT_EQ(allowed("query-port"), "a port, 0 to 65535, or empty");
}

}  // namespace
}  // namespace lp::app
