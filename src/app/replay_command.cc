#include "app/replay_command.h"

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "core/url_query.h"
#include "http/client.h"

namespace lp::app {
namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "logpipe replay: %s\n", message.c_str());
  return 1;
}

struct Progress {
  std::string id;
  std::string state;
  uint64_t objects_total = 0;
  uint64_t objects_done = 0;
  uint64_t events_queued = 0;
  uint64_t events_skipped = 0;
  std::string error;
};

Result<Progress> Read(const http::ClientResponse& response, unsigned expected_status) {
  simdjson::dom::parser parser;
  simdjson::dom::element body;
  if (parser.parse(response.body).get(body) != simdjson::SUCCESS) {
    return Permanent("the server answered " + std::to_string(response.status) +
                     " with a body that is not JSON");
  }
  if (response.status != expected_status) {
    std::string_view error;
    if (body["error"].get_string().get(error) != simdjson::SUCCESS) error = response.body;
    return Permanent(std::string(error) + " (HTTP " + std::to_string(response.status) + ")");
  }
  Progress progress;
  std::string_view text;
  if (body["id"].get_string().get(text) == simdjson::SUCCESS) progress.id = text;
  if (body["state"].get_string().get(text) == simdjson::SUCCESS) progress.state = text;
  if (body["error"].get_string().get(text) == simdjson::SUCCESS) progress.error = text;
  for (auto [name, field] : {std::pair{"objects_total", &progress.objects_total},
                             {"objects_done", &progress.objects_done},
                             {"events_queued", &progress.events_queued},
                             {"events_skipped", &progress.events_skipped}}) {
    if (body[name].get_uint64().get(*field) != simdjson::SUCCESS) {
      return Permanent(std::string("the server's answer has no ") + name);
    }
  }
  return progress;
}

}  // namespace

int Replay(const ReplayCommandOptions& options) {
  auto server = options.server.Parse();
  if (!server) return Fail(server.error().message);
  std::vector<std::pair<std::string, std::string>> parameters{{"from", options.from},
                                                              {"to", options.to}};
  if (options.service) parameters.emplace_back("service", *options.service);
  const auto timeout = std::chrono::seconds(options.timeout_seconds);
  const auto started =
      http::Fetch(*server, "POST", "/api/replay?" + EncodeUrlQuery(parameters), {}, timeout);
  if (!started) return Fail(started.error().message);
  auto progress = Read(*started, 202);
  if (!progress) return Fail(progress.error().message);
  const std::string id = progress->id;

  std::string last_line;
  while (true) {
    const std::string line = "replay " + id + ": " + std::to_string(progress->objects_done) + "/" +
                             std::to_string(progress->objects_total) + " objects, " +
                             std::to_string(progress->events_queued) + " events queued, " +
                             std::to_string(progress->events_skipped) + " skipped";
    if (line != last_line) {
      std::fprintf(stderr, "%s\n", line.c_str());
      last_line = line;
    }
    if (progress->state == "done") return 0;
    if (progress->state == "failed") return Fail(progress->error);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    const auto polled =
        http::Fetch(*server, "GET", "/api/replay?" + EncodeUrlQuery({{"id", id}}), {}, timeout);
    if (!polled) return Fail(polled.error().message);
    progress = Read(*polled, 200);
    if (!progress) return Fail(progress.error().message);
  }
}

}  // namespace lp::app
