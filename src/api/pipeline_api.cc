#include "api/pipeline_api.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <system_error>

#include "core/json_escape.h"

namespace lp::api {
namespace {

// Reads one label value of the exposition format (escapes \\, \" and \n) up to its closing quote.
size_t ReadLabelValue(std::string_view text, size_t at, std::string& value) {
  for (; at < text.size() && text[at] != '"'; ++at) {
    if (text[at] == '\\' && at + 1 < text.size()) {
      ++at;
      value += text[at] == 'n' ? '\n' : text[at];
    } else {
      value += text[at];
    }
  }
  return at + 1;
}

void AppendSample(std::string& out, std::string_view line) {
  const size_t name_end = line.find_first_of("{ ");
  if (name_end == std::string_view::npos) return;
  const std::string_view name = line.substr(0, name_end);
  // Buckets are many and the page reads the mean from _sum and _count.
  if (name.ends_with("_bucket")) return;
  std::string labels;
  size_t at = name_end;
  if (line[at] == '{') {
    ++at;
    while (at < line.size() && line[at] != '}') {
      const size_t equals = line.find('=', at);
      if (equals == std::string_view::npos || equals + 1 >= line.size()) return;
      std::string value;
      const size_t next = ReadLabelValue(line, equals + 2, value);
      if (!labels.empty()) labels += ',';
      labels += '"';
      AppendJsonEscaped(labels, line.substr(at, equals - at));
      labels += "\":\"";
      AppendJsonEscaped(labels, value);
      labels += '"';
      at = next < line.size() && line[next] == ',' ? next + 1 : next;
    }
    ++at;
  }
  const std::string value_text(line.substr(std::min(at, line.size())));
  const double value = std::strtod(value_text.c_str(), nullptr);
  if (out.back() != '[') out += ',';
  out += "{\"name\":\"";
  AppendJsonEscaped(out, name);
  out += "\",\"labels\":{" + labels + "},\"value\":";
  // JSON has no infinities: a +Inf or NaN sample is null.
  out += std::isfinite(value) ? std::to_string(value) : "null";
  out += '}';
}

uint64_t FolderBytes(const std::filesystem::path& folder) {
  uint64_t total = 0;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(folder, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const auto size = it->file_size(size_error);
      if (!size_error) total += size;
    }
  }
  return total;
}

}  // namespace

std::string PipelineApi::SamplesJson(std::string_view exposition) {
  std::string out = "[";
  while (!exposition.empty()) {
    const size_t end = std::min(exposition.find('\n'), exposition.size());
    const std::string_view line = exposition.substr(0, end);
    if (!line.empty() && line.front() != '#') AppendSample(out, line);
    exposition.remove_prefix(std::min(end + 1, exposition.size()));
  }
  return out + "]";
}

void PipelineApi::HandleStatus(http::Request&, http::Responder respond) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string body = "{\"time_ms\":" + std::to_string(now) + ",\"settings\":{\"store\":\"";
  AppendJsonEscaped(body, settings_.store);
  body += "\",\"search_retention_days\":" + std::to_string(settings_.search_retention_days) +
          ",\"spool_retention_ms\":" + std::to_string(settings_.spool_retention_ms) +
          ",\"input_topic\":\"";
  AppendJsonEscaped(body, settings_.input_topic);
  body += "\",\"dlq_topic\":\"";
  AppendJsonEscaped(body, settings_.dlq_topic);
  body += "\"},\"store_bytes\":";
  body += settings_.store_dir.empty() ? "null" : std::to_string(FolderBytes(settings_.store_dir));
  body += ",\"metrics\":" + SamplesJson(registry_.RenderText()) + "}";
  respond(http::JsonResponse(200, std::move(body)));
}

}  // namespace lp::api
