#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "app/config.h"
#include "app/redaction_command.h"
#include "app/replay_command.h"
#include "app/run_command.h"
#include "app/search_command.h"
#include "app/signals.h"
#include "app/spool_read_command.h"
#include "collector/protobuf_log.h"

namespace {

using lp::app::Config;
using lp::app::FlagValues;

/// Adds `--<setting>` for every setting, plus `--config FILE`.
struct SettingFlags {
  void AddTo(CLI::App& command) {
    command.add_option("--config", config_file, "TOML file with settings (keys as the flags)")
        ->check(CLI::ExistingFile);
    const Config defaults;
    for (const auto& setting : lp::app::Settings()) {
      const std::string shown = lp::app::ShowSetting(setting, defaults);
      options[setting.name] =
          command.add_option("--" + setting.name, values[setting.name],
                             setting.description + " [env: " + setting.env +
                                 "; default: " + (shown.empty() ? "empty" : shown) + "; " +
                                 lp::app::AllowedValues(setting) + "]");
    }
  }

  bool Load(Config& config) const {
    FlagValues given;
    for (const auto& [name, option] : options) {
      if (option->count() > 0) given[name] = values.at(name);
    }
    std::optional<std::filesystem::path> file;
    if (!config_file.empty()) file = config_file;
    const auto environment = lp::app::ProcessEnvironment();
    const auto problems = lp::app::LoadConfig(file, environment, given, config);
    for (const auto& warning : lp::app::UnknownVariableWarnings(environment)) {
      std::fprintf(stderr, "logpipe: configuration warning: %s\n", warning.c_str());
    }
    for (const auto& problem : problems) {
      std::fprintf(stderr, "logpipe: configuration error: %s\n", problem.c_str());
    }
    return problems.empty();
  }

  std::string config_file;
  std::map<std::string, std::string> values;
  std::map<std::string, CLI::Option*> options;
};

/// `--server` and how to be let in: `--ca-file`, `--cert`/`--key` (mutual TLS), `--token`.
void AddServerFlags(CLI::App& command, lp::app::ServerFlags& flags, const char* what) {
  command.add_option("--server", flags.url, std::string("The instance's ") + what + " URL")
      ->capture_default_str();
  command
      .add_option("--ca-file", flags.ca_file,
                  "PEM CA bundle that verifies an https:// --server (default: the system's CAs)")
      ->check(CLI::ExistingFile);
  command
      .add_option("--cert", flags.certificate_file,
                  "PEM client certificate, for a server requiring one (TLS_CLIENT_CA_FILE)")
      ->check(CLI::ExistingFile);
  command.add_option("--key", flags.key_file, "The client certificate's unencrypted PEM key")
      ->check(CLI::ExistingFile);
  command
      .add_option("--token", flags.token,
                  "Token sent as Authorization: Bearer (better in the environment, where "
                  "other users' ps does not show it)")
      ->envname("LOGPIPE_TOKEN");
}

}  // namespace

int main(int argc, char** argv) {
  lp::collector::InstallProtobufLogHandler();

  CLI::App app{"logpipe: a log aggregation and analysis pipeline"};
  app.require_subcommand(1);

  SettingFlags run_flags;
  auto* run = app.add_subcommand(
      "run",
      "Run everything in one process: ingest over HTTP into the embedded spool (or Kafka when "
      "KAFKA_BROKERS is set), processor, archiver and query API");
  run_flags.AddTo(*run);

  // One role per process, for the distributed deployment on Kafka.
  struct RoleCommand {
    lp::app::Role role;
    const char* description;
    CLI::App* command = nullptr;
    SettingFlags flags{};
  };
  std::vector<RoleCommand> roles;
  roles.reserve(3);  // The flags' options point into each element, so it must never move.
  roles.push_back(
      {lp::app::Role::kCollector, "Ingest over HTTP into Kafka (one role per process)"});
  roles.push_back({lp::app::Role::kProcessor,
                   "Consume Kafka into the search store; serve the query API on METRICS_PORT"});
  roles.push_back({lp::app::Role::kArchiver, "Consume Kafka into the archive (S3 or a folder)"});
  for (auto& role : roles) {
    role.command = app.add_subcommand(std::string(lp::app::RoleName(role.role)), role.description);
    role.flags.AddTo(*role.command);
  }

  app.add_subcommand("version", "Print the version");

  auto* config_command =
      app.add_subcommand("config", "Describe every setting: flag, variable, default, values");
  bool markdown = false;
  config_command->add_flag("--markdown", markdown, "As docs/CONFIG.md (a Markdown table)");

  auto* spool = app.add_subcommand("spool", "Inspect the embedded spool of a stopped instance");
  spool->require_subcommand(1);
  SettingFlags spool_flags;
  lp::app::SpoolReadOptions read_options;
  auto* read = spool->add_subcommand(
      "read", "Print what a consumer group has not consumed yet as NDJSON, then commit it");
  spool_flags.AddTo(*read);
  read->add_option("--group", read_options.group, "Consumer group to read as")->required();
  read->add_option("--topic", read_options.topic, "Topic to read")->capture_default_str();
  read->add_option("--max", read_options.max_records, "Stop after this many records");
  bool no_commit = false;
  read->add_flag("--no-commit", no_commit, "Leave the group's offsets where they were");

  lp::app::SearchCommandOptions search_options;
  auto* search =
      app.add_subcommand("search", "Search the events of a running instance, newest first");
  search->add_option("query", search_options.query,
                     "The query language: words, \"phrases\", field:value, payload.status>=500, "
                     "AND/OR/NOT, prefix* (docs/QUERY_LANGUAGE.md)");
  search->add_option("--service", search_options.service, "Only this service");
  search->add_option("--level", search_options.level, "Only this level (INFO, ERROR, ...)");
  auto* since = search->add_option("--since", search_options.since,
                                   "Only the last stretch of time, such as 15m, 2h or 7d");
  search->add_option("--from", search_options.from, "Not before this RFC 3339 time")
      ->excludes(since);
  search->add_option("--to", search_options.to, "Before this RFC 3339 time");
  search->add_option("--limit", search_options.limit, "Print at most this many events")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  search->add_flag("--json", search_options.json, "Print the documents as JSON lines");
  AddServerFlags(*search, search_options.server, "ingest");
  search
      ->add_option("--timeout", search_options.timeout_seconds,
                   "Seconds each request may take, connecting included")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  lp::app::TailCommandOptions tail_options;
  auto* tail = app.add_subcommand(
      "tail", "The newest matching events of a running instance; with -f, new ones as they come");
  tail->add_option("query", tail_options.query, "The query language, as for search");
  tail->add_option("-n,--lines", tail_options.lines, "How many of the newest to print first")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  tail->add_flag("-f,--follow", tail_options.follow, "Keep printing new events as they arrive");
  tail->add_flag("--json", tail_options.json, "Print the documents as JSON lines");
  AddServerFlags(*tail, tail_options.server, "query");
  tail->add_option("--timeout", tail_options.timeout_seconds,
                   "Seconds the request may take without -f, connecting included")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  lp::app::ReplayCommandOptions replay_options;
  auto* replay = app.add_subcommand(
      "replay", "Re-index the archive of a date range into a running instance's search store");
  replay->add_option("--from", replay_options.from, "First day, such as 2025-10-30")->required();
  replay->add_option("--to", replay_options.to, "Last day, included")->required();
  replay->add_option("--service", replay_options.service, "Only this service");
  AddServerFlags(*replay, replay_options.server, "ingest");
  replay
      ->add_option("--timeout", replay_options.timeout_seconds,
                   "Seconds each request may take, connecting included")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  auto* redaction = app.add_subcommand("redaction", "PII redaction of a running collector");
  redaction->require_subcommand(1);
  lp::app::RedactionDryRunOptions dry_run_options;
  auto* dry_run = redaction->add_subcommand(
      "dry-run",
      "Show what the instance's redaction rules make of sample events, storing nothing (admin "
      "token)");
  dry_run
      ->add_option("sample", dry_run_options.sample,
                   "File of events: a JSON object, an array or NDJSON; - for stdin")
      ->capture_default_str();
  AddServerFlags(*dry_run, dry_run_options.server, "ingest");
  dry_run
      ->add_option("--timeout", dry_run_options.timeout_seconds,
                   "Seconds the request may take, connecting included")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  dry_run->add_flag("--json", dry_run_options.json, "Print the server's answer as it is");

  CLI11_PARSE(app, argc, argv);

  if (app.got_subcommand("version")) {
    std::printf("logpipe %s\n", LOGPIPE_VERSION);
    return 0;
  }
  if (config_command->parsed()) {
    if (markdown) {
      std::fputs(lp::app::SettingsMarkdown().c_str(), stdout);
      return 0;
    }
    for (const auto& setting : lp::app::Settings()) {
      std::printf("%s (%s): %s\n", setting.name.c_str(), setting.env.c_str(),
                  lp::app::AllowedValues(setting).c_str());
    }
    return 0;
  }
  Config config;
  // Only the servers wait for SIGINT/SIGTERM/SIGHUP on a thread of their own; the command-line
  // tools keep the default actions, so that Ctrl-C stops `logpipe tail -f`.
  const auto serve = [&config](lp::app::Role role) {
    lp::app::BlockTerminationSignals();
    return lp::app::RunRole(config, role);
  };
  if (run->parsed()) {
    if (!run_flags.Load(config)) return 2;
    return serve(lp::app::Role::kAll);
  }
  for (const auto& role : roles) {
    if (!role.command->parsed()) continue;
    config.metrics_port = lp::app::DefaultMetricsPort(role.role);
    if (!role.flags.Load(config)) return 2;
    return serve(role.role);
  }
  if (search->parsed()) return lp::app::Search(search_options);
  if (tail->parsed()) return lp::app::Tail(tail_options);
  if (replay->parsed()) return lp::app::Replay(replay_options);
  if (dry_run->parsed()) return lp::app::RedactionDryRun(dry_run_options);
  if (read->parsed()) {
    if (!spool_flags.Load(config)) return 2;
    read_options.commit = !no_commit;
    return lp::app::ReadSpool(config, read_options);
  }
  return 2;
}
