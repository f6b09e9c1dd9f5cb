#include "app/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <thread>

#include "core/units.h"

extern char** environ;

namespace lp::app {
namespace {

using ApplyResult = std::optional<std::string>;

template <typename Number>
ApplyResult ParseNumber(std::string_view value, Number min, Number max, Number& out) {
  Number parsed{};
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error != std::errc{} || end != value.data() + value.size() || parsed < min || parsed > max) {
    return "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
           ", not \"" + std::string(value) + "\"";
  }
  out = parsed;
  return std::nullopt;
}

Setting Port(std::string name, std::string env, std::string description, uint16_t Config::*field) {
  return Setting{std::move(name), std::move(env), std::move(description),
                 [field](std::string_view value, Config& config) {
                   return ParseNumber<uint16_t>(value, 0, 65535, config.*field);
                 },
                 [field](const Config& config) { return std::to_string(config.*field); }};
}

Setting Count(std::string name, std::string env, std::string description, uint32_t Config::*field,
              uint32_t min, uint32_t max) {
  return Setting{std::move(name), std::move(env), std::move(description),
                 [field, min, max](std::string_view value, Config& config) {
                   return ParseNumber<uint32_t>(value, min, max, config.*field);
                 },
                 [field](const Config& config) { return std::to_string(config.*field); }};
}

Setting Bytes(std::string name, std::string env, std::string description, uint64_t Config::*field,
              uint64_t min) {
  return Setting{std::move(name), std::move(env), std::move(description),
                 [field, min](std::string_view value, Config& config) -> ApplyResult {
                   const auto bytes = ParseByteSize(value);
                   if (!bytes || *bytes < min) {
                     return "must be a size of at least " + FormatByteSize(min) +
                            " such as 10MiB or 1048576, not \"" + std::string(value) + "\"";
                   }
                   config.*field = *bytes;
                   return std::nullopt;
                 },
                 [field](const Config& config) { return FormatByteSize(config.*field); }};
}

Setting Duration(std::string name, std::string env, std::string description,
                 std::chrono::milliseconds Config::*field) {
  return Setting{
      std::move(name), std::move(env), std::move(description),
      [field](std::string_view value, Config& config) -> ApplyResult {
        // A bare number is ambiguous (seconds? days?) and has cost data: a unit is required.
        const auto last = value.find_last_not_of(' ');
        const bool has_unit =
            last != std::string_view::npos && std::isalpha(static_cast<unsigned char>(value[last]));
        const auto duration = has_unit ? ParseDuration(value) : std::nullopt;
        if (!duration) {
          return "must be a duration such as 500ms, 60s, 15m, 12h or 7d, not \"" +
                 std::string(value) + "\"";
        }
        config.*field = *duration;
        return std::nullopt;
      },
      [field](const Config& config) { return std::to_string((config.*field).count()) + "ms"; }};
}

Setting Text(std::string name, std::string env, std::string description,
             std::string Config::*field) {
  return Setting{std::move(name), std::move(env), std::move(description),
                 [field](std::string_view value, Config& config) -> ApplyResult {
                   config.*field = std::string(value);
                   return std::nullopt;
                 },
                 [field](const Config& config) { return config.*field; }};
}

Setting Choice(std::string name, std::string env, std::string description,
               std::string Config::*field, std::vector<std::string> choices) {
  return Setting{std::move(name), std::move(env), std::move(description),
                 [field, choices](std::string_view value, Config& config) -> ApplyResult {
                   for (const auto& choice : choices) {
                     if (value == choice) {
                       config.*field = choice;
                       return std::nullopt;
                     }
                   }
                   std::string message = "must be one of";
                   for (const auto& choice : choices) message += " " + choice;
                   return message + ", not \"" + std::string(value) + "\"";
                 },
                 [field](const Config& config) { return config.*field; }};
}

Setting Toggle(std::string name, std::string env, std::string description, bool Config::*field) {
  return Setting{std::move(name), std::move(env), std::move(description),
                 [field](std::string_view value, Config& config) -> ApplyResult {
                   if (value != "true" && value != "false") {
                     return "must be true or false, not \"" + std::string(value) + "\"";
                   }
                   config.*field = value == "true";
                   return std::nullopt;
                 },
                 [field](const Config& config) { return config.*field ? "true" : "false"; }};
}

std::vector<Setting> MakeSettings() {
  std::vector<Setting> settings;
  settings.push_back(Setting{"data-dir", "LOGPIPE_DATA_DIR",
                             "Folder for the spool and other state.",
                             [](std::string_view value, Config& config) -> ApplyResult {
                               if (value.empty()) return std::string("must not be empty");
                               config.data_dir = std::string(value);
                               return std::nullopt;
                             },
                             [](const Config& config) { return config.data_dir.string(); }});
  settings.push_back(
      Setting{"listen-address", "LISTEN_ADDRESS",
              "Address the HTTP servers bind to; 0.0.0.0 to accept connections from other hosts.",
              [](std::string_view value, Config& config) -> ApplyResult {
                if (value.empty()) return std::string("must not be empty");
                config.listen_address = std::string(value);
                return std::nullopt;
              },
              [](const Config& config) { return config.listen_address; }});
  settings.push_back(Port("collector-port", "COLLECTOR_PORT",
                          "Port of the ingest API (POST /logs); 0 picks a free one.",
                          &Config::collector_port));
  settings.push_back(Port("metrics-port", "METRICS_PORT",
                          "Port of /metrics, /healthz and /readyz; 0 picks a free one.",
                          &Config::metrics_port));
  settings.push_back(Bytes("max-body-bytes", "MAX_BODY_BYTES",
                           "Largest request body, before and after decompression (413 above).",
                           &Config::max_body_bytes, 1024));
  settings.push_back(Bytes("max-event-bytes", "MAX_EVENT_BYTES", "Largest single event.",
                           &Config::max_event_bytes, 256));
  settings.push_back(Count("http-threads", "HTTP_THREADS",
                           "Threads serving HTTP; 0 means one per core.", &Config::http_threads, 0,
                           256));
  settings.push_back(Count("max-connections", "MAX_CONNECTIONS",
                           "Open connections per server; more are closed at once.",
                           &Config::max_connections, 1, 1'000'000));
  settings.push_back(Count("max-connections-per-client", "MAX_CONNECTIONS_PER_CLIENT",
                           "Open connections from one client address; at either limit the "
                           "connection idle (or sending its header) longest is closed first.",
                           &Config::max_connections_per_client, 1, 1'000'000));
  settings.push_back(Duration("http-idle-timeout", "HTTP_IDLE_TIMEOUT",
                              "How long a kept-alive connection may wait for its next request.",
                              &Config::http_idle_timeout));
  settings.push_back(Duration("http-header-timeout", "HTTP_HEADER_TIMEOUT",
                              "How long a request's header may take once its first byte came.",
                              &Config::http_header_timeout));
  settings.push_back(Duration("http-body-timeout", "HTTP_BODY_TIMEOUT",
                              "How long a request's body may take once its header was read.",
                              &Config::http_body_timeout));
  settings.push_back(Count("drain-timeout-seconds", "DRAIN_TIMEOUT_SECONDS",
                           "On SIGTERM, the longest the drain may take before the process exits "
                           "anyway (acknowledged events are already stored).",
                           &Config::drain_timeout_seconds, 1, 600));
  settings.push_back(Bytes("max-inflight-bytes", "MAX_INFLIGHT_BYTES",
                           "Request bodies held in memory at once; past it ingest answers 503.",
                           &Config::max_inflight_bytes, 1024 * 1024));
  settings.push_back(
      Setting{"query-port", "QUERY_PORT",
              "Port of the query API (/api/search, histogram, facets, context, tail) on its own "
              "server; empty: on the ingest port; 0 picks a free one.",
              [](std::string_view value, Config& config) -> ApplyResult {
                if (value.empty()) {
                  config.query_port.reset();
                  return std::nullopt;
                }
                uint16_t port = 0;
                if (auto error = ParseNumber<uint16_t>(value, 0, 65535, port)) return error;
                config.query_port = port;
                return std::nullopt;
              },
              [](const Config& config) {
                return config.query_port ? std::to_string(*config.query_port) : std::string();
              }});
  settings.push_back(Count("query-threads", "QUERY_THREADS",
                           "Threads running queries, apart from the threads serving ingest.",
                           &Config::query_threads, 1, 256));
  settings.push_back(Count("query-max-concurrent", "QUERY_MAX_CONCURRENT",
                           "Queries running or waiting at once; past it the query API answers "
                           "429 with Retry-After.",
                           &Config::query_max_concurrent, 1, 100'000));
  settings.push_back(Duration("query-timeout", "QUERY_TIMEOUT",
                              "A query still running after this long is cancelled (504).",
                              &Config::query_timeout));
  settings.push_back(
      Setting{"auth-token", "COLLECTOR_AUTH_TOKEN",
              "A single token with every scope, in the default tenant (the tokens file's "
              "simpler predecessor; both may be set): Authorization: Bearer <token>.",
              [](std::string_view value, Config& config) -> ApplyResult {
                config.auth_token = Secret(std::string(value));
                return std::nullopt;
              },
              [](const Config& config) { return config.auth_token.masked(); }});
  settings.push_back(
      Setting{"tokens-file", "TOKENS_FILE",
              "TOML file of tokens (SHA-256 digests) with their scopes (ingest, query, admin) "
              "and tenant (docs/SECURITY.md); when set every route but /healthz and /readyz "
              "needs a token. Reloaded on SIGHUP.",
              [](std::string_view value, Config& config) -> ApplyResult {
                config.tokens_file = std::string(value);
                return std::nullopt;
              },
              [](const Config& config) { return config.tokens_file.string(); }});
  settings.push_back(Choice("metrics-auth", "METRICS_AUTH",
                            "What GET /metrics needs when tokens are configured: open (nothing), "
                            "or a token with the query or admin scope.",
                            &Config::metrics_auth, {"open", "query", "admin"}));
  settings.push_back(Toggle("allow-unauthenticated", "ALLOW_UNAUTHENTICATED",
                            "Lets logpipe listen on a non-loopback LISTEN_ADDRESS without any "
                            "token configured (everyone who reaches it may write and read).",
                            &Config::allow_unauthenticated));
  settings.push_back(Choice("redaction", "REDACTION",
                            "on: the collector redacts PII (built-in detectors, and the rules of "
                            "REDACTION_RULES_FILE) before events reach the queue.",
                            &Config::redaction, {"off", "on"}));
  settings.push_back(
      Setting{"redaction-rules-file", "REDACTION_RULES_FILE",
              "TOML redaction rules (docs/SECURITY.md); setting it turns redaction on.",
              [](std::string_view value, Config& config) -> ApplyResult {
                config.redaction_rules_file = std::string(value);
                return std::nullopt;
              },
              [](const Config& config) { return config.redaction_rules_file.string(); }});
  settings.push_back(
      Setting{"redaction-hash-key-file", "REDACTION_HASH_KEY_FILE",
              "File holding the secret key of the hash action (HMAC-SHA-256).",
              [](std::string_view value, Config& config) -> ApplyResult {
                config.redaction_hash_key_file = std::string(value);
                return std::nullopt;
              },
              [](const Config& config) { return config.redaction_hash_key_file.string(); }});
  settings.push_back(
      Setting{"tls-cert-file", "TLS_CERT_FILE",
              "PEM certificate (then its chain) of every listener: with TLS_KEY_FILE, the "
              "ingest/API/UI, query and metrics ports speak HTTPS only (TLS 1.2+). Reloaded "
              "on SIGHUP.",
              [](std::string_view value, Config& config) -> ApplyResult {
                config.tls_cert_file = std::string(value);
                return std::nullopt;
              },
              [](const Config& config) { return config.tls_cert_file.string(); }});
  settings.push_back(Setting{"tls-key-file", "TLS_KEY_FILE",
                             "PEM private key (unencrypted) of TLS_CERT_FILE. Reloaded on SIGHUP.",
                             [](std::string_view value, Config& config) -> ApplyResult {
                               config.tls_key_file = std::string(value);
                               return std::nullopt;
                             },
                             [](const Config& config) { return config.tls_key_file.string(); }});
  settings.push_back(
      Setting{"tls-client-ca-file", "TLS_CLIENT_CA_FILE",
              "PEM CA bundle for mutual TLS: every client must present a certificate it "
              "verifies, or its handshake fails. Reloaded on SIGHUP.",
              [](std::string_view value, Config& config) -> ApplyResult {
                config.tls_client_ca_file = std::string(value);
                return std::nullopt;
              },
              [](const Config& config) { return config.tls_client_ca_file.string(); }});
  settings.push_back(Setting{"audit-log-file", "AUDIT_LOG_FILE",
                             "JSON lines of admin actions (replay, tokens reload); empty: "
                             "<data dir>/audit.jsonl.",
                             [](std::string_view value, Config& config) -> ApplyResult {
                               config.audit_log_file = std::string(value);
                               return std::nullopt;
                             },
                             [](const Config& config) { return config.audit_log_file.string(); }});
  settings.push_back(Count("spool-partitions", "SPOOL_PARTITIONS",
                           "Partitions of a new spool topic (existing topics keep theirs).",
                           &Config::spool_partitions, 1, 1024));
  settings.push_back(Choice("spool-fsync", "SPOOL_FSYNC",
                            "always: acknowledge after fsync (survives power loss); interval: "
                            "fsync in the background; never: leave it to the kernel. Every mode "
                            "survives a crash of logpipe itself.",
                            &Config::spool_fsync, {"always", "interval", "never"}));
  settings.push_back(Duration("spool-fsync-interval", "SPOOL_FSYNC_INTERVAL",
                              "How often SPOOL_FSYNC=interval flushes.",
                              &Config::spool_fsync_interval));
  settings.push_back(Bytes("spool-max-bytes", "SPOOL_MAX_BYTES",
                           "Disk the spool may use; when unconsumed records fill it, ingest "
                           "answers 503 instead of dropping them.",
                           &Config::spool_max_bytes, 64 * 1024));
  settings.push_back(Bytes("spool-segment-bytes", "SPOOL_SEGMENT_BYTES",
                           "Size at which a spool segment file is closed and a new one begun.",
                           &Config::spool_segment_bytes, 4096));
  settings.push_back(Duration("spool-retention", "SPOOL_RETENTION",
                              "Age after which spooled records are deleted, consumed or not.",
                              &Config::spool_retention));
  settings.push_back(
      Toggle("spool-allow-short-retention", "SPOOL_ALLOW_SHORT_RETENTION",
             "true lets SPOOL_RETENTION be under one hour (for tests): age retention "
             "deletes records whether or not they were consumed.",
             &Config::spool_allow_short_retention));
  settings.push_back(
      Count("search-retention-days", "SEARCH_RETENTION_DAYS",
            "Days a document is kept, by its timestamp: deleted by the embedded store, or "
            "the delete phase of the Elasticsearch/OpenSearch lifecycle.",
            &Config::search_retention_days, 1, 36'500));
  settings.push_back(
      Setting{"geoip-db-path", "GEOIP_DB_PATH",
              "GeoIP database: a MaxMind DB (.mmdb) file, or a folder whose .mmdb files are all "
              "read (DB-IP lite ships one per address family). Empty: no geo enrichment.",
              [](std::string_view value, Config& config) -> ApplyResult {
                config.geoip_db_path = std::string(value);
                return std::nullopt;
              },
              [](const Config& config) { return config.geoip_db_path.string(); }});
  settings.push_back(
      Setting{"archive-dir", "ARCHIVE_DIR",
              "Folder of the local archive (objects at <dir>/<bucket>/<key>) when S3_ENDPOINT is "
              "not set; default <data dir>/archive.",
              [](std::string_view value, Config& config) -> ApplyResult {
                config.archive_dir = std::string(value);
                return std::nullopt;
              },
              [](const Config& config) { return config.archive_dir.string(); }});
  settings.push_back(Text("s3-endpoint", "S3_ENDPOINT",
                          "S3 server for the archive (http(s)://host:port, path-style); empty "
                          "archives into ARCHIVE_DIR.",
                          &Config::s3_endpoint));
  settings.push_back(Text("s3-bucket", "S3_BUCKET", "Bucket of the archive.", &Config::s3_bucket));
  settings.push_back(
      Text("s3-region", "S3_REGION", "Region requests are signed for.", &Config::s3_region));
  settings.push_back(Text("aws-access-key-id", "AWS_ACCESS_KEY_ID", "S3 access key id.",
                          &Config::aws_access_key_id));
  settings.push_back(
      Setting{"aws-secret-access-key", "AWS_SECRET_ACCESS_KEY", "S3 secret key.",
              [](std::string_view value, Config& config) -> ApplyResult {
                config.aws_secret_access_key = Secret(std::string(value));
                return std::nullopt;
              },
              [](const Config& config) { return config.aws_secret_access_key.masked(); }});
  settings.push_back(Text("s3-ca-file", "S3_CA_FILE",
                          "PEM file of the CA that signed an https:// S3_ENDPOINT's certificate "
                          "(default: the system's CAs).",
                          &Config::s3_ca_file));
  settings.push_back(Count("batch-size", "BATCH_SIZE", "Events per archive batch and partition.",
                           &Config::batch_size, 1, 10'000'000));
  settings.push_back(Bytes("batch-max-bytes", "BATCH_MAX_BYTES",
                           "Uncompressed bytes at which an archive batch closes early.",
                           &Config::batch_max_bytes, 1024));
  settings.push_back(Count("batch-timeout-seconds", "BATCH_TIMEOUT_SECONDS",
                           "Seconds after which an open archive batch closes, new data or not.",
                           &Config::batch_timeout_seconds, 1, 86'400));
  settings.push_back(Choice("archive-compression", "ARCHIVE_COMPRESSION",
                            "Compression of archive objects.", &Config::archive_compression,
                            {"gzip", "zstd"}));
  settings.push_back(Text("kafka-brokers", "KAFKA_BROKERS",
                          "Kafka bootstrap servers (host:port,...): the queue is Kafka instead of "
                          "the embedded spool.",
                          &Config::kafka_brokers));
  settings.push_back(Text("kafka-bootstrap-servers", "KAFKA_BOOTSTRAP_SERVERS",
                          "The same as KAFKA_BROKERS, under the name the seed's consumers use.",
                          &Config::kafka_bootstrap_servers));
  settings.push_back(Text("input-topic", "KAFKA_INPUT_TOPIC",
                          "Topic events are written to and read from.", &Config::input_topic));
  settings.push_back(Text("dlq-topic", "DLQ_TOPIC",
                          "Topic of events the processor cannot index (dead letters).",
                          &Config::dlq_topic));
  settings.push_back(Choice("kafka-compression", "KAFKA_COMPRESSION",
                            "Compression of produced Kafka record batches.",
                            &Config::kafka_compression, {"none", "gzip", "snappy", "lz4", "zstd"}));
  settings.push_back(Count("kafka-topic-partitions", "KAFKA_TOPIC_PARTITIONS",
                           "Partitions of the topics logpipe creates when they are missing.",
                           &Config::kafka_topic_partitions, 1, 10'000));
  settings.push_back(Text("processor-group", "PROCESSOR_GROUP_ID",
                          "Kafka consumer group of the processors.", &Config::processor_group));
  settings.push_back(Text("archiver-group", "ARCHIVER_GROUP_ID",
                          "Kafka consumer group of the archivers.", &Config::archiver_group));
  settings.push_back(Text("es-hosts", "ES_HOSTS",
                          "Elasticsearch/OpenSearch base URLs, comma-separated (failover in "
                          "order): the search store is that cluster instead of embedded SQLite.",
                          &Config::es_hosts));
  settings.push_back(Text("es-index-alias", "ES_INDEX_ALIAS",
                          "Write alias over the indices; searches go through it too.",
                          &Config::es_index_alias));
  settings.push_back(Text("es-index-prefix", "ES_INDEX_PREFIX",
                          "Indices are <prefix>-000001, <prefix>-000002... (rolled over).",
                          &Config::es_index_prefix));
  settings.push_back(
      Text("es-username", "ES_USERNAME", "Basic authentication user.", &Config::es_username));
  settings.push_back(Setting{"es-password", "ES_PASSWORD", "Basic authentication password.",
                             [](std::string_view value, Config& config) -> ApplyResult {
                               config.es_password = Secret(std::string(value));
                               return std::nullopt;
                             },
                             [](const Config& config) { return config.es_password.masked(); }});
  settings.push_back(Setting{"es-api-key", "ES_API_KEY",
                             "API key (sent as Authorization: ApiKey); wins over the user.",
                             [](std::string_view value, Config& config) -> ApplyResult {
                               config.es_api_key = Secret(std::string(value));
                               return std::nullopt;
                             },
                             [](const Config& config) { return config.es_api_key.masked(); }});
  settings.push_back(Text("es-ca-file", "ES_CA_FILE",
                          "PEM file of the CA that signed the cluster's certificate.",
                          &Config::es_ca_file));
  settings.push_back(Choice("es-tls-verify", "ES_TLS_VERIFY",
                            "Verify the cluster's TLS certificate and host name.",
                            &Config::es_tls_verify, {"true", "false"}));
  settings.push_back(Count("es-replicas", "ES_REPLICAS",
                           "Replicas of each index (0 on a single node).", &Config::es_replicas, 0,
                           16));
  settings.push_back(Choice("log-level", "LOG_LEVEL", "Least severe log line written.",
                            &Config::log_level, {"debug", "info", "warn", "error"}));
  return settings;
}

std::vector<std::string> Validate(const Config& config) {
  std::vector<std::string> problems;
  if (config.spool_retention < std::chrono::hours(1) && !config.spool_allow_short_retention) {
    problems.push_back(
        "spool-retention (SPOOL_RETENTION) must be at least 1h: age retention deletes records "
        "whether or not the processor and archiver have read them (set "
        "SPOOL_ALLOW_SHORT_RETENTION=true to allow it anyway)");
  }
  if (!IsValidBucketName(config.s3_bucket)) {
    problems.push_back(
        "s3-bucket (S3_BUCKET) must be a valid bucket name: 3 to 63 lower-case "
        "letters, digits, dots and hyphens, starting and ending with a letter or "
        "digit, not \"" +
        config.s3_bucket + "\"");
  }
  if (config.spool_segment_bytes * 4 > config.spool_max_bytes) {
    problems.push_back(
        "spool-segment-bytes (SPOOL_SEGMENT_BYTES) must be at most a quarter of "
        "spool-max-bytes (SPOOL_MAX_BYTES), so that retention can free space "
        "before the spool is full");
  }
  if (config.max_event_bytes > config.max_body_bytes) {
    problems.push_back(
        "max-event-bytes (MAX_EVENT_BYTES) must not exceed max-body-bytes "
        "(MAX_BODY_BYTES)");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    problems.push_back(
        "tls-cert-file (TLS_CERT_FILE) and tls-key-file (TLS_KEY_FILE) must be set together");
  }
  if (!config.tls_client_ca_file.empty() && config.tls_cert_file.empty()) {
    problems.push_back(
        "tls-client-ca-file (TLS_CLIENT_CA_FILE) needs tls-cert-file (TLS_CERT_FILE) and "
        "tls-key-file (TLS_KEY_FILE): mutual TLS is TLS first");
  }
  if (config.collector_port != 0 && config.collector_port == config.metrics_port) {
    problems.push_back(
        "collector-port (COLLECTOR_PORT) and metrics-port (METRICS_PORT) must differ");
  }
  return problems;
}

std::optional<std::string> TomlValueAsString(const toml::node& node) {
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* integer = node.as_integer()) return std::to_string(integer->get());
  if (const auto* boolean = node.as_boolean()) return boolean->get() ? "true" : "false";
  return std::nullopt;
}

const Setting* FindSetting(std::string_view name) {
  for (const auto& setting : Settings()) {
    if (setting.name == name) return &setting;
  }
  return nullptr;
}

}  // namespace

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = MakeSettings();
  return settings;
}

bool IsValidBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  bool all_digits_and_dots = true;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!alnum(c) && c != '.' && c != '-') return false;
    if (c == '.' && i > 0 && (name[i - 1] == '.' || name[i - 1] == '-')) return false;
    if (c == '-' && i > 0 && name[i - 1] == '.') return false;
    if (c >= 'a' && c <= 'z') all_digits_and_dots = false;
    if (c == '-') all_digits_and_dots = false;
  }
  return !all_digits_and_dots;
}

namespace {

// Prefixes of logpipe's own variables: an unknown one of these is most likely a typo.
constexpr std::array<std::string_view, 16> kOwnPrefixes{
    "LOGPIPE_",   "KAFKA_",   "ES_",  "S3_",   "SPOOL_", "SEARCH_",    "BATCH_",    "ARCHIVE_",
    "COLLECTOR_", "METRICS_", "MAX_", "HTTP_", "GEOIP_", "PROCESSOR_", "ARCHIVER_", "TLS_"};

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace

std::vector<std::string> UnknownVariableWarnings(const std::map<std::string, std::string>& env) {
  std::vector<std::string> warnings;
  for (const auto& [name, value] : env) {
    const bool ours =
        std::any_of(kOwnPrefixes.begin(), kOwnPrefixes.end(),
                    [&](std::string_view prefix) { return name.starts_with(prefix); });
    if (!ours || name.starts_with("KAFKA_PRODUCER_") || name.starts_with("KAFKA_CONSUMER_")) {
      continue;
    }
    const Setting* closest = nullptr;
    size_t best = SIZE_MAX;
    for (const auto& setting : Settings()) {
      if (setting.env == name) {
        closest = nullptr;
        best = 0;
        break;
      }
      const size_t distance = EditDistance(name, setting.env);
      if (distance < best) {
        best = distance;
        closest = &setting;
      }
    }
    if (best == 0) continue;
    std::string warning = "environment variable " + name + " is not a logpipe setting; ignored";
    if (closest != nullptr) warning += " (did you mean " + closest->env + "?)";
    warnings.push_back(std::move(warning));
  }
  return warnings;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string_view::npos) {
      env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
  }
  return env;
}

namespace {

constexpr std::string_view kProducerPrefix = "KAFKA_PRODUCER_";
constexpr std::string_view kConsumerPrefix = "KAFKA_CONSUMER_";

// KAFKA_PRODUCER_SASL_MECHANISMS -> sasl.mechanisms: librdkafka's property names are lower case
// words joined by dots.
std::string PropertyFromEnvName(std::string_view suffix) {
  std::string name(suffix);
  for (char& c : name) {
    c = c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

// `[kafka]` in the config file: `[kafka.producer]` and `[kafka.consumer]` tables of librdkafka
// properties, and plain keys that apply to both.
void LoadKafkaTable(const toml::table& kafka, Config& config, std::vector<std::string>& problems) {
  for (const auto& [key, node] : kafka) {
    const std::string name(key.str());
    if (const auto* table = node.as_table();
        table != nullptr && (name == "producer" || name == "consumer")) {
      auto& properties =
          name == "producer" ? config.kafka_producer_properties : config.kafka_consumer_properties;
      for (const auto& [property, value] : *table) {
        const auto text = TomlValueAsString(value);
        if (!text) {
          problems.push_back("[kafka." + name + "] " + std::string(property.str()) +
                             " (config file): must be a string, number or boolean");
          continue;
        }
        properties[std::string(property.str())] = *text;
      }
      continue;
    }
    const auto text = TomlValueAsString(node);
    if (!text) {
      problems.push_back("[kafka] " + name +
                         " (config file): must be a string, number or boolean, or the table "
                         "producer or consumer");
      continue;
    }
    config.kafka_producer_properties[name] = *text;
    config.kafka_consumer_properties[name] = *text;
  }
}

}  // namespace

std::string DescribeConfig(const Config& config) {
  std::string text;
  for (const auto& setting : Settings()) {
    text.append(text.empty() ? "" : " ")
        .append(setting.name)
        .append("=")
        .append(setting.show(config));
  }
  for (const auto& [label, properties] :
       {std::pair{"kafka-producer-properties", &config.kafka_producer_properties},
        std::pair{"kafka-consumer-properties", &config.kafka_consumer_properties}}) {
    std::string names;
    for (const auto& [name, value] : *properties)
      names.append(names.empty() ? "" : ",").append(name);
    if (!names.empty()) text.append(" ").append(label).append("=").append(names);
  }
  return text;
}

std::vector<std::string> LoadConfig(const std::optional<std::filesystem::path>& file,
                                    const std::map<std::string, std::string>& env,
                                    const FlagValues& flags, Config& config) {
  std::vector<std::string> problems;
  const auto apply = [&](const Setting& setting, std::string_view value,
                         const std::string& source) {
    if (auto problem = setting.apply(value, config)) {
      problems.push_back(setting.name + " (" + source + "): " + *problem);
    }
  };
  if (file) {
    toml::table table;
    try {
      table = toml::parse_file(file->string());
    } catch (const toml::parse_error& error) {
      problems.push_back("config file " + file->string() + ": " + std::string(error.description()));
      return problems;
    }
    for (const auto& [key, node] : table) {
      if (key.str() == "kafka" && node.is_table()) {
        LoadKafkaTable(*node.as_table(), config, problems);
        continue;
      }
      const Setting* setting = FindSetting(key.str());
      // Underscores are accepted too, as TOML files usually spell keys that way.
      if (setting == nullptr) {
        std::string dashed(key.str());
        std::replace(dashed.begin(), dashed.end(), '_', '-');
        setting = FindSetting(dashed);
      }
      if (setting == nullptr) {
        problems.push_back("config file " + file->string() + ": unknown setting \"" +
                           std::string(key.str()) + "\"");
        continue;
      }
      const auto value = TomlValueAsString(node);
      if (!value) {
        problems.push_back(setting->name + " (config file): must be a string, number or boolean");
        continue;
      }
      apply(*setting, *value, "config file");
    }
  }
  for (const auto& setting : Settings()) {
    if (const auto found = env.find(setting.env); found != env.end()) {
      apply(setting, found->second, "environment variable " + setting.env);
    }
  }
  for (const auto& [name, value] : env) {
    if (name.starts_with(kProducerPrefix) && name.size() > kProducerPrefix.size()) {
      config.kafka_producer_properties[PropertyFromEnvName(name.substr(kProducerPrefix.size()))] =
          value;
    } else if (name.starts_with(kConsumerPrefix) && name.size() > kConsumerPrefix.size()) {
      config.kafka_consumer_properties[PropertyFromEnvName(name.substr(kConsumerPrefix.size()))] =
          value;
    }
  }
  for (const auto& [name, value] : flags) {
    if (const Setting* setting = FindSetting(name)) apply(*setting, value, "--" + name);
  }
  if (problems.empty()) problems = Validate(config);
  return problems;
}

}  // namespace lp::app
