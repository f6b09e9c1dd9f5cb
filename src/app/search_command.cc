#include "app/search_command.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "core/timestamp.h"
#include "core/units.h"
#include "core/url_query.h"
#include "http/client.h"

namespace lp::app {
namespace {

// Pages the API serves at most; larger --limit values are fetched over several pages.
constexpr size_t kPageLimit = 1000;

int Fail(const std::string& message) {
  std::fprintf(stderr, "logpipe search: %s\n", message.c_str());
  return 1;
}

std::string_view StringField(simdjson::dom::element hit, std::string_view name) {
  std::string_view value;
  if (hit[name].get_string().get(value) != simdjson::SUCCESS) return "-";
  return value;
}

void PrintLine(simdjson::dom::element hit) {
  const auto timestamp = StringField(hit, "timestamp");
  const auto level = StringField(hit, "level");
  const auto service = StringField(hit, "service");
  const auto message = StringField(hit, "message");
  std::printf("%.*s  %-5.*s  %-20.*s  %.*s\n", static_cast<int>(timestamp.size()), timestamp.data(),
              static_cast<int>(level.size()), level.data(), static_cast<int>(service.size()),
              service.data(), static_cast<int>(message.size()), message.data());
}

}  // namespace

int Search(const SearchCommandOptions& options) {
  auto server = options.server.Parse();
  if (!server) return Fail(server.error().message);

  std::vector<std::pair<std::string, std::string>> parameters;
  if (!options.query.empty()) parameters.emplace_back("q", options.query);
  if (options.service) parameters.emplace_back("service", *options.service);
  if (options.level) parameters.emplace_back("level", *options.level);
  if (options.since) {
    const auto since = ParseDuration(*options.since);
    if (!since)
      return Fail("--since: must be a duration such as 15m, 2h or 7d, not \"" + *options.since +
                  "\"");
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    parameters.emplace_back("from", FormatRfc3339Millis((now - *since).count()));
  }
  if (options.from) parameters.emplace_back("from", *options.from);
  if (options.to) parameters.emplace_back("to", *options.to);

  simdjson::dom::parser parser;
  size_t printed = 0;
  uint64_t total = 0;
  std::string relation = "eq";
  std::string cursor;
  while (printed < options.limit) {
    auto page_parameters = parameters;
    page_parameters.emplace_back("limit",
                                 std::to_string(std::min(kPageLimit, options.limit - printed)));
    if (!cursor.empty()) page_parameters.emplace_back("cursor", cursor);
    const auto response =
        http::Fetch(*server, "GET", "/api/search?" + EncodeUrlQuery(page_parameters), {},
                    std::chrono::seconds(options.timeout_seconds));
    if (!response) return Fail(response.error().message);

    simdjson::dom::element body;
    if (parser.parse(response->body).get(body) != simdjson::SUCCESS) {
      return Fail("the server answered " + std::to_string(response->status) +
                  " with a body that is not JSON");
    }
    if (response->status != 200) {
      std::string_view error;
      if (body["error"].get_string().get(error) != simdjson::SUCCESS) error = response->body;
      return Fail(std::string(error) + " (HTTP " + std::to_string(response->status) + ")");
    }
    simdjson::dom::array hits;
    if (body["total"].get_uint64().get(total) != simdjson::SUCCESS ||
        body["hits"].get_array().get(hits) != simdjson::SUCCESS) {
      return Fail("the server's answer has no total or hits; is it a logpipe instance?");
    }
    std::string_view total_relation;
    if (body["total_relation"].get_string().get(total_relation) == simdjson::SUCCESS) {
      relation = std::string(total_relation);
    }
    for (const auto hit : hits) {
      if (options.json) {
        std::printf("%s\n", simdjson::minify(hit).c_str());
      } else {
        PrintLine(hit);
      }
      ++printed;
    }
    std::string_view next;
    if (hits.size() == 0 || body["cursor"].get_string().get(next) != simdjson::SUCCESS) break;
    cursor = std::string(next);
  }
  std::fflush(stdout);
  // "gte": the server stopped counting at 10,000 (track_total=true would count them all).
  std::fprintf(stderr, "%zu of %s%llu matching events\n", printed,
               relation == "gte" ? "at least " : "", static_cast<unsigned long long>(total));
  return 0;
}

int Tail(const TailCommandOptions& options) {
  auto server = options.server.Parse();
  if (!server) return Fail(server.error().message);
  std::vector<std::pair<std::string, std::string>> parameters;
  if (!options.query.empty()) parameters.emplace_back("q", options.query);
  parameters.emplace_back("limit", std::to_string(options.lines));
  simdjson::dom::parser parser;
  const auto print = [&](std::string_view json) {
    simdjson::dom::element hit;
    if (parser.parse(json.data(), json.size()).get(hit) != simdjson::SUCCESS) return;
    if (options.json) {
      std::printf("%s\n", simdjson::minify(hit).c_str());
    } else {
      PrintLine(hit);
    }
    std::fflush(stdout);
  };
  if (!options.follow) {
    const auto response = http::Fetch(*server, "GET", "/api/search?" + EncodeUrlQuery(parameters),
                                      {}, std::chrono::seconds(options.timeout_seconds));
    if (!response) return Fail(response.error().message);
    simdjson::dom::element body;
    simdjson::dom::array hits;
    if (parser.parse(response->body).get(body) != simdjson::SUCCESS) {
      return Fail("the server answered " + std::to_string(response->status) +
                  " with a body that is not JSON");
    }
    if (response->status != 200 || body["hits"].get_array().get(hits) != simdjson::SUCCESS) {
      std::string_view error;
      if (body["error"].get_string().get(error) != simdjson::SUCCESS) error = response->body;
      return Fail(std::string(error) + " (HTTP " + std::to_string(response->status) + ")");
    }
    // Newest last, as tail(1) prints.
    std::vector<std::string> lines;
    for (const auto hit : hits) lines.push_back(simdjson::minify(hit));
    for (auto line = lines.rbegin(); line != lines.rend(); ++line) print(*line);
    return 0;
  }
  // Server-Sent Events: `data:` lines are documents; comments and ids are skipped.
  std::string pending;
  std::string answer;
  const auto status = http::FetchStream(
      *server, "/api/tail?" + EncodeUrlQuery(parameters), [&](std::string_view piece) {
        pending.append(piece);
        size_t newline = 0;
        while ((newline = pending.find('\n')) != std::string::npos) {
          const std::string_view line(pending.data(), newline);
          if (line.starts_with("data: ")) {
            print(line.substr(6));
          } else if (!line.starts_with("id:") && !line.starts_with(":") && !line.empty()) {
            answer.append(line);  // Not an event stream: an error answer.
          }
          pending.erase(0, newline + 1);
        }
        return true;
      });
  if (!status) return Fail(status.error().message);
  if (*status != 200) return Fail(answer + pending + " (HTTP " + std::to_string(*status) + ")");
  return 0;
}

}  // namespace lp::app
