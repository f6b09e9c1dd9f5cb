#include "app/redaction_command.h"

#include <simdjson.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "core/file_util.h"

namespace lp::app {
namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "logpipe redaction dry-run: %s\n", message.c_str());
  return 1;
}

std::string_view Text(simdjson::dom::element element, std::string_view name) {
  std::string_view value;
  if (element[name].get_string().get(value) != simdjson::SUCCESS) return "?";
  return value;
}

}  // namespace

int RedactionDryRun(const RedactionDryRunOptions& options) {
  auto server = options.server.Parse();
  if (!server) return Fail(server.error().message);
  std::string sample;
  if (options.sample == "-") {
    sample.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto read = ReadWholeFile(options.sample);
    if (!read) return Fail(options.sample + ": " + read.error().message);
    sample = std::move(*read);
  }
  const auto response = http::Fetch(*server, "POST", "/api/redaction/dry-run", sample,
                                    std::chrono::seconds(options.timeout_seconds));
  if (!response) return Fail(response.error().message);
  simdjson::dom::parser parser;
  simdjson::dom::element answer;
  if (parser.parse(response->body).get(answer) != simdjson::SUCCESS) {
    return Fail("HTTP " + std::to_string(response->status) + ": " + response->body);
  }
  if (options.json) {
    std::printf("%s\n", response->body.c_str());
    return response->status == 200 ? 0 : 1;
  }
  simdjson::dom::array errors;
  if (answer["errors"].get_array().get(errors) == simdjson::SUCCESS) {
    for (const auto error : errors) {
      uint64_t index = 0;
      if (error["index"].get_uint64().get(index) != simdjson::SUCCESS) continue;
      std::fprintf(stderr, "event %llu rejected: %.*s\n", static_cast<unsigned long long>(index),
                   static_cast<int>(Text(error, "error").size()), Text(error, "error").data());
    }
  }
  simdjson::dom::array events;
  if (response->status != 200 || answer["events"].get_array().get(events) != simdjson::SUCCESS) {
    const std::string_view error = Text(answer, "error");
    return Fail("HTTP " + std::to_string(response->status) +
                (error != "?" ? ": " + std::string(error) : std::string()));
  }
  if (Text(answer, "redaction") == "off") {
    std::fprintf(stderr, "redaction is off on this instance (REDACTION): events go as sent\n");
  }
  size_t number = 0;
  for (const auto event : events) {
    ++number;
    std::printf("# accepted event %zu: %.*s\n", number,
                static_cast<int>(Text(event, "outcome").size()), Text(event, "outcome").data());
    simdjson::dom::array redactions;
    if (event["redactions"].get_array().get(redactions) == simdjson::SUCCESS) {
      for (const auto hit : redactions) {
        const auto path = Text(hit, "path");
        const auto rule = Text(hit, "rule");
        const auto action = Text(hit, "action");
        std::printf("#   %.*s: %.*s (%.*s)\n", static_cast<int>(path.size()), path.data(),
                    static_cast<int>(rule.size()), rule.data(), static_cast<int>(action.size()),
                    action.data());
      }
    }
    simdjson::dom::element redacted;
    if (event["event"].get(redacted) == simdjson::SUCCESS && !redacted.is_null()) {
      std::printf("%s\n", simdjson::minify(redacted).c_str());
    }
  }
  return 0;
}

}  // namespace lp::app
