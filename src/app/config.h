#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lp::app {

/// A secret that never prints itself.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  [[nodiscard]] const std::string& reveal() const { return value_; }
  [[nodiscard]] bool empty() const { return value_.empty(); }
  [[nodiscard]] std::string masked() const { return value_.empty() ? "" : "*****"; }

 private:
  std::string value_;
};

/// Everything `logpipe run` can be told, with DESIGN §6's defaults. Immutable once loaded.
struct Config {
  std::filesystem::path data_dir = "./data";
  std::string listen_address = "127.0.0.1";
  uint16_t collector_port = 8081;
  uint16_t metrics_port = 8080;
  uint64_t max_body_bytes = 10ULL * 1024 * 1024;
  uint64_t max_event_bytes = 256ULL * 1024;
  uint32_t http_threads = 0;  ///< 0: one per core. Also the syslog listeners' threads.
  uint32_t max_connections = 1024;
  uint32_t max_connections_per_client = 256;
  std::chrono::milliseconds http_idle_timeout{60'000};
  std::chrono::milliseconds http_header_timeout{5'000};
  std::chrono::milliseconds http_body_timeout{60'000};
  uint32_t drain_timeout_seconds = 10;
  uint64_t max_inflight_bytes = 256ULL * 1024 * 1024;
  Secret auth_token;
  std::filesystem::path tokens_file;  ///< Empty: no tokens file.
  std::string metrics_auth = "open";  ///< open, query or admin: what /metrics needs.
  bool allow_unauthenticated = false;
  std::filesystem::path audit_log_file;  ///< Empty: `<data_dir>/audit.jsonl`.
  std::string redaction = "off";         ///< on: built-in detectors (and the rules file's rules).
  std::filesystem::path redaction_rules_file;
  std::filesystem::path redaction_hash_key_file;
  /// Set (with the key): every listener speaks HTTPS only. Reloaded on SIGHUP.
  std::filesystem::path tls_cert_file;
  std::filesystem::path tls_key_file;
  std::filesystem::path tls_client_ca_file;  ///< Set: mutual TLS, a client certificate required.
  std::optional<uint16_t> query_port;        ///< Unset: the query API is on the ingest port.
  std::optional<uint16_t> syslog_port;       ///< Unset: no syslog listener.
  std::optional<uint16_t> syslog_tls_port;   ///< Unset: no syslog TLS listener (needs TLS).
  std::string syslog_tenant;                 ///< Set on syslog events; empty: none.
  uint32_t query_threads = 2;
  uint32_t query_max_concurrent = 8;
  std::chrono::milliseconds query_timeout{30'000};
  uint32_t spool_partitions = 8;
  std::string spool_fsync = "interval";
  std::chrono::milliseconds spool_fsync_interval{1000};
  uint64_t spool_max_bytes = 10ULL * 1024 * 1024 * 1024;
  uint64_t spool_segment_bytes = 64ULL * 1024 * 1024;
  std::chrono::milliseconds spool_retention = std::chrono::hours(24 * 7);
  /// Lets SPOOL_RETENTION be under an hour (tests); age retention deletes unconsumed records.
  bool spool_allow_short_retention = false;
  uint32_t search_retention_days = 30;
  uint64_t search_retention_bytes = 0;  ///< 0: no size cap.
  std::string search_store = "logstore";
  std::filesystem::path geoip_db_path;
  std::filesystem::path archive_dir;  ///< Empty: `<data_dir>/archive`.
  std::string s3_endpoint;            ///< Empty: the local folder.
  std::string s3_bucket = "logs-archive";
  std::string s3_region = "us-east-1";
  std::string aws_access_key_id;
  Secret aws_secret_access_key;
  std::string s3_ca_file;  ///< Empty: the system's CAs verify an https:// S3_ENDPOINT.
  uint32_t batch_size = 10'000;
  uint64_t batch_max_bytes = 16ULL * 1024 * 1024;
  uint32_t batch_timeout_seconds = 60;
  std::string archive_compression = "zstd";
  std::string log_level = "info";
  std::string kafka_brokers;            ///< KAFKA_BROKERS, as the collector names it.
  std::string kafka_bootstrap_servers;  ///< KAFKA_BOOTSTRAP_SERVERS, as the consumers name it.
  std::string input_topic = "app-logs";
  std::string dlq_topic = "dlq";
  std::string kafka_compression = "lz4";
  uint32_t kafka_topic_partitions = 6;
  std::string processor_group = "processor";
  std::string archiver_group = "archiver";
  /// librdkafka properties passed through (KAFKA_PRODUCER_* / KAFKA_CONSUMER_*, `[kafka]`).
  std::map<std::string, std::string> kafka_producer_properties;
  std::map<std::string, std::string> kafka_consumer_properties;
  std::string es_hosts;  ///< Comma-separated base URLs; empty: the embedded SQLite store.
  std::string es_index_alias = "log-write";
  std::string es_index_prefix = "logs";
  std::string es_username;
  Secret es_password;
  Secret es_api_key;
  std::string es_ca_file;
  std::string es_tls_verify = "true";
  uint32_t es_replicas = 1;

  /// The Kafka cluster, whichever of the two names gave it; empty: the embedded spool.
  [[nodiscard]] const std::string& KafkaCluster() const {
    return kafka_brokers.empty() ? kafka_bootstrap_servers : kafka_brokers;
  }
};

/// The Config member a setting fills; its type says how the text is read: a string (any text, or
/// one of `choices`), a path, a secret (never shown), a port, a port or empty, a whole number
/// (`min`..`max`), a byte size (at least `min`, such as 10MiB), a duration with a unit (500ms,
/// 60s, 15m, 12h, 7d), or true/false.
using SettingField =
    std::variant<std::string Config::*, std::filesystem::path Config::*, Secret Config::*,
                 uint16_t Config::*, std::optional<uint16_t> Config::*, uint32_t Config::*,
                 uint64_t Config::*, std::chrono::milliseconds Config::*, bool Config::*>;

/// One row of the settings table: its name in the config file and on the command line
/// (`--name`), its environment variable, the one line that documents it, the member it fills and
/// what values are allowed. The default is the member's in Config. Parsing, `--help`, the
/// start-up log, unknown-variable warnings and docs/CONFIG.md all come from this table.
struct Setting {
  std::string name;
  std::string env;
  std::string description;
  SettingField field;
  uint64_t min = 0;                       ///< Whole numbers and sizes.
  uint64_t max = UINT32_MAX;              ///< Whole numbers.
  std::vector<std::string> choices = {};  ///< Strings: one of these, when given.
  bool required = false;                  ///< Strings and paths: must not be empty.
};

[[nodiscard]] const std::vector<Setting>& Settings();

/// Parses `value` into `setting`'s member of `config`; a message saying what is allowed, or
/// nothing.
[[nodiscard]] std::optional<std::string> ApplySetting(const Setting& setting,
                                                      std::string_view value, Config& config);
/// The value as configured, for the start-up log and the docs (secrets masked).
[[nodiscard]] std::string ShowSetting(const Setting& setting, const Config& config);
/// What values `setting` takes, in words ("a whole number from 1 to 256").
[[nodiscard]] std::string AllowedValues(const Setting& setting);
/// docs/CONFIG.md: a table of every setting with its variable, default, allowed values and doc
/// line (`logpipe config --markdown` prints it).
[[nodiscard]] std::string SettingsMarkdown();

/// Raw values by setting name, as given on the command line.
using FlagValues = std::map<std::string, std::string>;

/// Loads defaults, then the TOML file (if any), then the environment, then flags; later sources
/// win. Returns every problem found, each naming the setting and where it came from.
[[nodiscard]] std::vector<std::string> LoadConfig(const std::optional<std::filesystem::path>& file,
                                                  const std::map<std::string, std::string>& env,
                                                  const FlagValues& flags, Config& config);

/// What the start-up log shows of the configuration: every setting (secrets masked) and the
/// names, never the values, of the librdkafka properties passed through.
[[nodiscard]] std::string DescribeConfig(const Config& config);

/// Warnings about the environment: variables with a logpipe prefix (LOGPIPE_, KAFKA_, ES_, S3_,
/// SPOOL_, SEARCH_, ...) that name no setting, each with the closest setting's variable.
[[nodiscard]] std::vector<std::string> UnknownVariableWarnings(
    const std::map<std::string, std::string>& env);

/// Whether `name` is a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens,
/// starting and ending with a letter or digit, not shaped like an IP address).
[[nodiscard]] bool IsValidBucketName(std::string_view name);

/// The environment as a map, for LoadConfig.
[[nodiscard]] std::map<std::string, std::string> ProcessEnvironment();

}  // namespace lp::app
