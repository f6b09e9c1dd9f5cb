#include "app/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <thread>

#include "core/units.h"
#include "security/principal.h"

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

// "7d", "12h", "90s", "500ms": the largest unit that divides the duration.
std::string FormatDuration(std::chrono::milliseconds duration) {
  const int64_t ms = duration.count();
  for (const auto& [unit, size] :
       {std::pair{"d", 86'400'000LL}, {"h", 3'600'000LL}, {"m", 60'000LL}, {"s", 1'000LL}}) {
    if (ms != 0 && ms % size == 0) return std::to_string(ms / size) + unit;
  }
  return std::to_string(ms) + "ms";
}

// Each member type of SettingField: how its text is read, shown and described.
struct SettingCodec {
  const Setting& setting;
  std::string_view value;

  ApplyResult operator()(Config& config, std::string Config::*field) const {
    if (auto problem = CheckText()) return problem;
    config.*field = std::string(value);
    return std::nullopt;
  }
  ApplyResult operator()(Config& config, std::filesystem::path Config::*field) const {
    if (auto problem = CheckText()) return problem;
    config.*field = std::string(value);
    return std::nullopt;
  }
  ApplyResult operator()(Config& config, Secret Config::*field) const {
    config.*field = Secret(std::string(value));
    return std::nullopt;
  }
  ApplyResult operator()(Config& config, uint16_t Config::*field) const {
    return ParseNumber<uint16_t>(value, 0, 65535, config.*field);
  }
  ApplyResult operator()(Config& config, std::optional<uint16_t> Config::*field) const {
    if (value.empty()) {
      (config.*field).reset();
      return std::nullopt;
    }
    uint16_t port = 0;
    if (auto problem = ParseNumber<uint16_t>(value, 0, 65535, port)) return problem;
    config.*field = port;
    return std::nullopt;
  }
  ApplyResult operator()(Config& config, uint32_t Config::*field) const {
    return ParseNumber<uint32_t>(value, static_cast<uint32_t>(setting.min),
                                 static_cast<uint32_t>(setting.max), config.*field);
  }
  ApplyResult operator()(Config& config, uint64_t Config::*field) const {
    const auto bytes = ParseByteSize(value);
    if (!bytes || *bytes < setting.min) {
      return "must be a size of at least " + FormatByteSize(setting.min) +
             " such as 10MiB or 1048576, not \"" + std::string(value) + "\"";
    }
    config.*field = *bytes;
    return std::nullopt;
  }
  ApplyResult operator()(Config& config, std::chrono::milliseconds Config::*field) const {
    // A bare number is ambiguous (seconds? days?) and has cost data: a unit is required.
    const auto last = value.find_last_not_of(' ');
    const bool has_unit =
        last != std::string_view::npos && std::isalpha(static_cast<unsigned char>(value[last]));
    const auto duration = has_unit ? ParseDuration(value) : std::nullopt;
    if (!duration) {
      return "must be a duration such as 500ms, 60s, 15m, 12h or 7d, not \"" + std::string(value) +
             "\"";
    }
    config.*field = *duration;
    return std::nullopt;
  }
  ApplyResult operator()(Config& config, bool Config::*field) const {
    if (value != "true" && value != "false") {
      return "must be true or false, not \"" + std::string(value) + "\"";
    }
    config.*field = value == "true";
    return std::nullopt;
  }

  ApplyResult CheckText() const {
    if (setting.required && value.empty()) return std::string("must not be empty");
    if (setting.choices.empty() ||
        std::find(setting.choices.begin(), setting.choices.end(), value) != setting.choices.end()) {
      return std::nullopt;
    }
    std::string message = "must be one of";
    for (const auto& choice : setting.choices) message += " " + choice;
    return message + ", not \"" + std::string(value) + "\"";
  }
};

struct SettingPrinter {
  const Config& config;

  std::string operator()(std::string Config::*field) const { return config.*field; }
  std::string operator()(std::filesystem::path Config::*field) const {
    return (config.*field).string();
  }
  std::string operator()(Secret Config::*field) const { return (config.*field).masked(); }
  std::string operator()(uint16_t Config::*field) const { return std::to_string(config.*field); }
  std::string operator()(std::optional<uint16_t> Config::*field) const {
    return config.*field ? std::to_string(*(config.*field)) : std::string();
  }
  std::string operator()(uint32_t Config::*field) const { return std::to_string(config.*field); }
  std::string operator()(uint64_t Config::*field) const { return FormatByteSize(config.*field); }
  std::string operator()(std::chrono::milliseconds Config::*field) const {
    return FormatDuration(config.*field);
  }
  std::string operator()(bool Config::*field) const { return config.*field ? "true" : "false"; }
};

struct AllowedDescriber {
  const Setting& setting;

  std::string operator()(std::string Config::*) const { return Text(); }
  std::string operator()(std::filesystem::path Config::*) const {
    return setting.required ? "a path, not empty" : "a path";
  }
  std::string operator()(Secret Config::*) const { return "text (a secret: never shown)"; }
  std::string operator()(uint16_t Config::*) const { return "a port, 0 to 65535"; }
  std::string operator()(std::optional<uint16_t> Config::*) const {
    return "a port, 0 to 65535, or empty";
  }
  std::string operator()(uint32_t Config::*) const {
    return "a whole number from " + std::to_string(setting.min) + " to " +
           std::to_string(setting.max);
  }
  std::string operator()(uint64_t Config::*) const {
    return "a size of at least " + FormatByteSize(setting.min) + " (10MiB, 1048576)";
  }
  std::string operator()(std::chrono::milliseconds Config::*) const {
    return "a duration with a unit (500ms, 60s, 15m, 12h, 7d)";
  }
  std::string operator()(bool Config::*) const { return "true or false"; }

  std::string Text() const {
    if (setting.choices.empty()) return setting.required ? "text, not empty" : "text";
    std::string text = "one of";
    for (size_t i = 0; i < setting.choices.size(); ++i) {
      text += (i == 0 ? " " : ", ") + setting.choices[i];
    }
    return text;
  }
};

std::vector<Setting> MakeSettings() {
  using C = Config;
  const std::vector<std::string> booleans = {"true", "false"};
  return {
      {.name = "data-dir",
       .env = "LOGPIPE_DATA_DIR",
       .description = "Folder for the spool and other state.",
       .field = &C::data_dir,
       .required = true},
      {.name = "listen-address",
       .env = "LISTEN_ADDRESS",
       .description =
           "Address the HTTP servers bind to; 0.0.0.0 to accept connections from other hosts.",
       .field = &C::listen_address,
       .required = true},
      {.name = "collector-port",
       .env = "COLLECTOR_PORT",
       .description = "Port of the ingest API (POST /logs); 0 picks a free one.",
       .field = &C::collector_port},
      {.name = "metrics-port",
       .env = "METRICS_PORT",
       .description = "Port of /metrics, /healthz and /readyz; 0 picks a free one.",
       .field = &C::metrics_port},
      {.name = "max-body-bytes",
       .env = "MAX_BODY_BYTES",
       .description = "Largest request body, before and after decompression (413 above).",
       .field = &C::max_body_bytes,
       .min = 1024},
      {.name = "max-event-bytes",
       .env = "MAX_EVENT_BYTES",
       .description = "Largest single event.",
       .field = &C::max_event_bytes,
       .min = 256},
      {.name = "http-threads",
       .env = "HTTP_THREADS",
       .description = "Threads serving HTTP, and those serving the syslog listeners' "
                      "connections; 0 means one per core.",
       .field = &C::http_threads,
       .min = 0,
       .max = 256},
      {.name = "max-connections",
       .env = "MAX_CONNECTIONS",
       .description = "Open connections per server; more are closed at once.",
       .field = &C::max_connections,
       .min = 1,
       .max = 1'000'000},
      {.name = "max-connections-per-client",
       .env = "MAX_CONNECTIONS_PER_CLIENT",
       .description = "Open connections from one client address; at either limit the "
                      "connection idle (or sending its header) longest is closed first.",
       .field = &C::max_connections_per_client,
       .min = 1,
       .max = 1'000'000},
      {.name = "http-idle-timeout",
       .env = "HTTP_IDLE_TIMEOUT",
       .description = "How long a kept-alive connection may wait for its next request.",
       .field = &C::http_idle_timeout},
      {.name = "http-header-timeout",
       .env = "HTTP_HEADER_TIMEOUT",
       .description = "How long a request's header may take once its first byte came.",
       .field = &C::http_header_timeout},
      {.name = "http-body-timeout",
       .env = "HTTP_BODY_TIMEOUT",
       .description = "How long a request's body may take once its header was read.",
       .field = &C::http_body_timeout},
      {.name = "drain-timeout-seconds",
       .env = "DRAIN_TIMEOUT_SECONDS",
       .description = "On SIGTERM, the longest the drain may take before the process exits "
                      "anyway (acknowledged events are already stored).",
       .field = &C::drain_timeout_seconds,
       .min = 1,
       .max = 600},
      {.name = "max-inflight-bytes",
       .env = "MAX_INFLIGHT_BYTES",
       .description = "Request bodies held in memory at once; past it ingest answers 503.",
       .field = &C::max_inflight_bytes,
       .min = 1024 * 1024},
      {.name = "query-port",
       .env = "QUERY_PORT",
       .description = "Port of the query API (/api/search, histogram, facets, context, tail) on "
                      "its own server; empty: on the ingest port; 0 picks a free one.",
       .field = &C::query_port},
      {.name = "syslog-port",
       .env = "SYSLOG_PORT",
       .description = "Port of the syslog listener, TCP (octet counting or line framing) and UDP, "
                      "RFC 5424 and 3164; empty (the default): none; 0 picks a free one.",
       .field = &C::syslog_port},
      {.name = "syslog-tls-port",
       .env = "SYSLOG_TLS_PORT",
       .description = "Port of the syslog listener over TLS (RFC 5425: octet counting, line "
                      "framing accepted too), with the certificate of TLS_CERT_FILE and, when "
                      "set, TLS_CLIENT_CA_FILE's client certificates; empty (the default): none; "
                      "0 picks a free one.",
       .field = &C::syslog_tls_port},
      {.name = "syslog-tenant",
       .env = "SYSLOG_TENANT",
       .description = "Tenant set on syslog events (syslog carries no token); empty: none, which "
                      "tenant tokens' queries do not see.",
       .field = &C::syslog_tenant},
      {.name = "query-threads",
       .env = "QUERY_THREADS",
       .description = "Threads running queries, apart from the threads serving ingest.",
       .field = &C::query_threads,
       .min = 1,
       .max = 256},
      {.name = "query-max-concurrent",
       .env = "QUERY_MAX_CONCURRENT",
       .description = "Queries running or waiting at once; past it the query API answers 429 "
                      "with Retry-After.",
       .field = &C::query_max_concurrent,
       .min = 1,
       .max = 100'000},
      {.name = "query-timeout",
       .env = "QUERY_TIMEOUT",
       .description = "A query still running after this long is cancelled (504).",
       .field = &C::query_timeout},
      {.name = "auth-token",
       .env = "COLLECTOR_AUTH_TOKEN",
       .description = "A single token with every scope, in the default tenant (the tokens file's "
                      "simpler predecessor; both may be set): Authorization: Bearer <token>.",
       .field = &C::auth_token},
      {.name = "tokens-file",
       .env = "TOKENS_FILE",
       .description = "TOML file of tokens (SHA-256 digests) with their scopes (ingest, query, "
                      "admin) and tenant (docs/SECURITY.md); when set every route but /healthz "
                      "and /readyz needs a token. Reloaded on SIGHUP.",
       .field = &C::tokens_file},
      {.name = "metrics-auth",
       .env = "METRICS_AUTH",
       .description = "What GET /metrics needs when tokens are configured: open (nothing), or a "
                      "token with the query or admin scope.",
       .field = &C::metrics_auth,
       .choices = {"open", "query", "admin"}},
      {.name = "allow-unauthenticated",
       .env = "ALLOW_UNAUTHENTICATED",
       .description = "Lets logpipe listen on a non-loopback LISTEN_ADDRESS without any token "
                      "configured (everyone who reaches it may write and read).",
       .field = &C::allow_unauthenticated},
      {.name = "redaction",
       .env = "REDACTION",
       .description = "on: the collector redacts PII (built-in detectors, and the rules of "
                      "REDACTION_RULES_FILE) before events reach the queue.",
       .field = &C::redaction,
       .choices = {"off", "on"}},
      {.name = "redaction-rules-file",
       .env = "REDACTION_RULES_FILE",
       .description = "TOML redaction rules (docs/SECURITY.md); setting it turns redaction on.",
       .field = &C::redaction_rules_file},
      {.name = "redaction-hash-key-file",
       .env = "REDACTION_HASH_KEY_FILE",
       .description = "File holding the secret key of the hash action (HMAC-SHA-256).",
       .field = &C::redaction_hash_key_file},
      {.name = "audit-log-file",
       .env = "AUDIT_LOG_FILE",
       .description = "JSON lines of admin actions (replay, tokens reload); empty: "
                      "<data dir>/audit.jsonl.",
       .field = &C::audit_log_file},
      {.name = "tls-cert-file",
       .env = "TLS_CERT_FILE",
       .description = "PEM certificate (then its chain) of every listener: with TLS_KEY_FILE, the "
                      "ingest/API/UI, query and metrics ports speak HTTPS only (TLS 1.2+), and "
                      "SYSLOG_TLS_PORT can be opened. Reloaded on SIGHUP.",
       .field = &C::tls_cert_file},
      {.name = "tls-key-file",
       .env = "TLS_KEY_FILE",
       .description = "PEM private key (unencrypted) of TLS_CERT_FILE. Reloaded on SIGHUP.",
       .field = &C::tls_key_file},
      {.name = "tls-client-ca-file",
       .env = "TLS_CLIENT_CA_FILE",
       .description = "PEM CA bundle for mutual TLS: every client must present a certificate it "
                      "verifies, or its handshake fails. Reloaded on SIGHUP.",
       .field = &C::tls_client_ca_file},
      {.name = "spool-partitions",
       .env = "SPOOL_PARTITIONS",
       .description = "Partitions of a new spool topic (existing topics keep theirs).",
       .field = &C::spool_partitions,
       .min = 1,
       .max = 1024},
      {.name = "spool-fsync",
       .env = "SPOOL_FSYNC",
       .description = "always: acknowledge after fsync (survives power loss); interval: fsync in "
                      "the background; never: leave it to the kernel. Every mode survives a "
                      "crash of logpipe itself.",
       .field = &C::spool_fsync,
       .choices = {"always", "interval", "never"}},
      {.name = "spool-fsync-interval",
       .env = "SPOOL_FSYNC_INTERVAL",
       .description = "How often SPOOL_FSYNC=interval flushes.",
       .field = &C::spool_fsync_interval},
      {.name = "spool-max-bytes",
       .env = "SPOOL_MAX_BYTES",
       .description = "Disk the spool may use; when unconsumed records fill it, ingest answers "
                      "503 instead of dropping them.",
       .field = &C::spool_max_bytes,
       .min = 64 * 1024},
      {.name = "spool-segment-bytes",
       .env = "SPOOL_SEGMENT_BYTES",
       .description = "Size at which a spool segment file is closed and a new one begun.",
       .field = &C::spool_segment_bytes,
       .min = 4096},
      {.name = "spool-retention",
       .env = "SPOOL_RETENTION",
       .description = "Age after which spooled records are deleted, consumed or not.",
       .field = &C::spool_retention},
      {.name = "spool-allow-short-retention",
       .env = "SPOOL_ALLOW_SHORT_RETENTION",
       .description = "true lets SPOOL_RETENTION be under one hour (for tests): age retention "
                      "deletes records whether or not they were consumed.",
       .field = &C::spool_allow_short_retention},
      {.name = "search-retention-days",
       .env = "SEARCH_RETENTION_DAYS",
       .description = "Days a document stays searchable after it ARRIVED (never counted from its "
                      "own timestamp): whole parts of the embedded store are dropped, or the "
                      "delete phase of the Elasticsearch/OpenSearch lifecycle (index age).",
       .field = &C::search_retention_days,
       .min = 1,
       .max = 36'500},
      {.name = "search-retention-bytes",
       .env = "SEARCH_RETENTION_BYTES",
       .description = "Size cap of the embedded log store's parts; the oldest-arrived parts are "
                      "dropped first (0: no cap).",
       .field = &C::search_retention_bytes,
       .min = 0},
      {.name = "search-store",
       .env = "SEARCH_STORE",
       .description = "Embedded search store when ES_HOSTS is not set: logstore (logpipe's own, "
                      "the default) or sqlite (the former SQLite FTS5 store, <data "
                      "dir>/search/search.db).",
       .field = &C::search_store,
       .choices = {"logstore", "sqlite"}},
      {.name = "geoip-db-path",
       .env = "GEOIP_DB_PATH",
       .description = "GeoIP database: a MaxMind DB (.mmdb) file, or a folder whose .mmdb files "
                      "are all read (DB-IP lite ships one per address family). Empty: no geo "
                      "enrichment.",
       .field = &C::geoip_db_path},
      {.name = "archive-dir",
       .env = "ARCHIVE_DIR",
       .description = "Folder of the local archive (objects at <dir>/<bucket>/<key>) when "
                      "S3_ENDPOINT is not set; default <data dir>/archive.",
       .field = &C::archive_dir},
      {.name = "s3-endpoint",
       .env = "S3_ENDPOINT",
       .description = "S3 server for the archive (http(s)://host:port, path-style); empty "
                      "archives into ARCHIVE_DIR.",
       .field = &C::s3_endpoint},
      {.name = "s3-bucket",
       .env = "S3_BUCKET",
       .description = "Bucket of the archive.",
       .field = &C::s3_bucket},
      {.name = "s3-region",
       .env = "S3_REGION",
       .description = "Region requests are signed for.",
       .field = &C::s3_region},
      {.name = "aws-access-key-id",
       .env = "AWS_ACCESS_KEY_ID",
       .description = "S3 access key id.",
       .field = &C::aws_access_key_id},
      {.name = "aws-secret-access-key",
       .env = "AWS_SECRET_ACCESS_KEY",
       .description = "S3 secret key.",
       .field = &C::aws_secret_access_key},
      {.name = "s3-ca-file",
       .env = "S3_CA_FILE",
       .description = "PEM file of the CA that signed an https:// S3_ENDPOINT's certificate "
                      "(default: the system's CAs).",
       .field = &C::s3_ca_file},
      {.name = "batch-size",
       .env = "BATCH_SIZE",
       .description = "Events per archive batch and partition (objects close earlier at "
                      "BATCH_MAX_BYTES or BATCH_TIMEOUT_SECONDS).",
       .field = &C::batch_size,
       .min = 1,
       .max = 10'000'000},
      {.name = "batch-max-bytes",
       .env = "BATCH_MAX_BYTES",
       .description = "Uncompressed bytes at which an archive batch closes early.",
       .field = &C::batch_max_bytes,
       .min = 1024},
      {.name = "batch-timeout-seconds",
       .env = "BATCH_TIMEOUT_SECONDS",
       .description = "Seconds after which an open archive batch closes, new data or not.",
       .field = &C::batch_timeout_seconds,
       .min = 1,
       .max = 86'400},
      {.name = "archive-compression",
       .env = "ARCHIVE_COMPRESSION",
       .description = "Compression of archive objects: zstd (level 3, the default: a fraction of "
                      "gzip's CPU per event) or gzip (libdeflate level 6, the seed's format, ~5 "
                      "us per 450-byte event).",
       .field = &C::archive_compression,
       .choices = {"gzip", "zstd"}},
      {.name = "kafka-brokers",
       .env = "KAFKA_BROKERS",
       .description = "Kafka bootstrap servers (host:port,...): the queue is Kafka instead of the "
                      "embedded spool.",
       .field = &C::kafka_brokers},
      {.name = "kafka-bootstrap-servers",
       .env = "KAFKA_BOOTSTRAP_SERVERS",
       .description = "The same as KAFKA_BROKERS, under the name the seed's consumers use.",
       .field = &C::kafka_bootstrap_servers},
      {.name = "input-topic",
       .env = "KAFKA_INPUT_TOPIC",
       .description = "Topic events are written to and read from.",
       .field = &C::input_topic},
      {.name = "dlq-topic",
       .env = "DLQ_TOPIC",
       .description = "Topic of events the processor cannot index (dead letters).",
       .field = &C::dlq_topic},
      {.name = "kafka-compression",
       .env = "KAFKA_COMPRESSION",
       .description = "Compression of produced Kafka record batches.",
       .field = &C::kafka_compression,
       .choices = {"none", "gzip", "snappy", "lz4", "zstd"}},
      {.name = "kafka-topic-partitions",
       .env = "KAFKA_TOPIC_PARTITIONS",
       .description = "Partitions of the topics logpipe creates when they are missing.",
       .field = &C::kafka_topic_partitions,
       .min = 1,
       .max = 10'000},
      {.name = "processor-group",
       .env = "PROCESSOR_GROUP_ID",
       .description = "Kafka consumer group of the processors.",
       .field = &C::processor_group},
      {.name = "archiver-group",
       .env = "ARCHIVER_GROUP_ID",
       .description = "Kafka consumer group of the archivers.",
       .field = &C::archiver_group},
      {.name = "es-hosts",
       .env = "ES_HOSTS",
       .description = "Elasticsearch/OpenSearch base URLs, comma-separated (failover in order): "
                      "the search store is that cluster instead of embedded SQLite.",
       .field = &C::es_hosts},
      {.name = "es-index-alias",
       .env = "ES_INDEX_ALIAS",
       .description = "Write alias over the indices; searches go through it too.",
       .field = &C::es_index_alias},
      {.name = "es-index-prefix",
       .env = "ES_INDEX_PREFIX",
       .description = "Indices are <prefix>-000001, <prefix>-000002... (rolled over).",
       .field = &C::es_index_prefix},
      {.name = "es-username",
       .env = "ES_USERNAME",
       .description = "Basic authentication user.",
       .field = &C::es_username},
      {.name = "es-password",
       .env = "ES_PASSWORD",
       .description = "Basic authentication password.",
       .field = &C::es_password},
      {.name = "es-api-key",
       .env = "ES_API_KEY",
       .description = "API key (sent as Authorization: ApiKey); wins over the user.",
       .field = &C::es_api_key},
      {.name = "es-ca-file",
       .env = "ES_CA_FILE",
       .description = "PEM file of the CA that signed the cluster's certificate.",
       .field = &C::es_ca_file},
      {.name = "es-tls-verify",
       .env = "ES_TLS_VERIFY",
       .description = "Verify the cluster's TLS certificate and host name.",
       .field = &C::es_tls_verify,
       .choices = booleans},
      {.name = "es-replicas",
       .env = "ES_REPLICAS",
       .description = "Replicas of each index (0 on a single node).",
       .field = &C::es_replicas,
       .min = 0,
       .max = 16},
      {.name = "log-level",
       .env = "LOG_LEVEL",
       .description = "Least severe log line written.",
       .field = &C::log_level,
       .choices = {"debug", "info", "warn", "error"}},
  };
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
  if (!config.syslog_tenant.empty() && !security::IsValidTenant(config.syslog_tenant)) {
    problems.push_back(
        "syslog-tenant (SYSLOG_TENANT) must be 1 to 64 letters, digits, '_', '-' and '.', not \"" +
        config.syslog_tenant + "\"");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    problems.push_back(
        "tls-cert-file (TLS_CERT_FILE) and tls-key-file (TLS_KEY_FILE) must be set together");
  }
  if (config.syslog_tls_port && config.tls_cert_file.empty()) {
    problems.push_back(
        "syslog-tls-port (SYSLOG_TLS_PORT) needs tls-cert-file (TLS_CERT_FILE) and tls-key-file "
        "(TLS_KEY_FILE)");
  }
  if (config.syslog_port && config.syslog_tls_port && *config.syslog_port != 0 &&
      config.syslog_port == config.syslog_tls_port) {
    problems.push_back(
        "syslog-port (SYSLOG_PORT) and syslog-tls-port (SYSLOG_TLS_PORT) must differ");
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

std::optional<std::string> ApplySetting(const Setting& setting, std::string_view value,
                                        Config& config) {
  return std::visit(
      [&](auto field) {
        return SettingCodec{setting, value}(config, field);
      },
      setting.field);
}

std::string ShowSetting(const Setting& setting, const Config& config) {
  return std::visit(SettingPrinter{config}, setting.field);
}

std::string AllowedValues(const Setting& setting) {
  return std::visit(AllowedDescriber{setting}, setting.field);
}

std::string SettingsMarkdown() {
  const Config defaults;
  std::string text =
      "# logpipe settings\n\n"
      "Generated from the settings table in src/app/config.cc by `logpipe config --markdown`; a "
      "unit test keeps this file in step with it. Each setting is a flag (`--name`), an "
      "environment variable, or a key of the TOML file given with `--config` (dashes or "
      "underscores); flags win over the environment, which wins over the file. A bad value "
      "stops logpipe at start with a message naming the setting and what it allows.\n\n"
      "| setting | environment variable | default | allowed | what it does |\n"
      "|---|---|---|---|---|\n";
  const auto cell = [](std::string value) {
    std::string escaped;
    for (const char c : value) {
      if (c == '|') escaped += '\\';
      escaped += c;
    }
    return escaped;
  };
  for (const auto& setting : Settings()) {
    const std::string shown = ShowSetting(setting, defaults);
    text += "| `" + setting.name + "` | `" + setting.env + "` | " +
            (shown.empty() ? "(empty)" : "`" + cell(shown) + "`") + " | " +
            cell(AllowedValues(setting)) + " | " + cell(setting.description) + " |\n";
  }
  text +=
      "\nlibrdkafka properties pass through: `KAFKA_PRODUCER_<NAME>` and `KAFKA_CONSUMER_<NAME>` "
      "(`KAFKA_PRODUCER_SASL_MECHANISMS` sets `sasl.mechanisms`), or the file's `[kafka]`, "
      "`[kafka.producer]` and `[kafka.consumer]` tables; their values are never logged.\n";
  return text;
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
constexpr std::array<std::string_view, 17> kOwnPrefixes{
    "LOGPIPE_", "KAFKA_",     "ES_",        "S3_",      "SPOOL_", "SEARCH_",
    "BATCH_",   "ARCHIVE_",   "COLLECTOR_", "METRICS_", "MAX_",   "HTTP_",
    "GEOIP_",   "PROCESSOR_", "ARCHIVER_",  "TLS_",     "SYSLOG_"};

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
        .append(ShowSetting(setting, config));
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
    if (auto problem = ApplySetting(setting, value, config)) {
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
