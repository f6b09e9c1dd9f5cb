#include "api/dlq_api.h"

#include <charconv>

#include "core/json_escape.h"
#include "core/url_query.h"

namespace lp::api {
namespace {

constexpr size_t kDefaultLimit = 20;
constexpr size_t kMaxLimit = 1000;
constexpr size_t kDefaultRedrive = 10'000;
constexpr size_t kMaxRedrive = 1'000'000;

// The count parameter `name`, `fallback` when absent; an error naming it otherwise.
Result<size_t> CountParameter(const http::Request& request, const char* name, size_t fallback,
                              size_t max) {
  const auto parameters = ParseUrlQuery(request.query);
  if (!parameters) return Permanent("malformed query string");
  const auto found = parameters->find(name);
  if (found == parameters->end()) return fallback;
  size_t value = 0;
  const auto& text = found->second;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 1 || value > max) {
    return Permanent(std::string(name) + ": a number from 1 to " + std::to_string(max));
  }
  return value;
}

http::Response QueueError(const Error& error) {
  auto response = http::ErrorResponse(error.retryable() ? 503 : 500, error.message);
  if (error.retryable()) response.headers.emplace_back("Retry-After", "1");
  return response;
}

void AppendField(std::string& out, const char* name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  AppendJsonEscaped(out, value);
  out += '"';
}

}  // namespace

void DlqApi::HandleNewest(http::Request& request, http::Responder respond) {
  const auto limit = CountParameter(request, "limit", kDefaultLimit, kMaxLimit);
  if (!limit) return respond(http::ErrorResponse(400, limit.error().message));
  RunOnPool(pool_, request, std::move(respond),
            [this, count = *limit](const search::Cancellation&) {
              const auto view = letters_.Newest(count);
              if (!view) return QueueError(view.error());
              std::string body = "{\"topic\":\"";
              AppendJsonEscaped(body, topic_);
              body += "\",\"pending\":" + std::to_string(view->pending) + ",\"records\":[";
              for (const auto& letter : view->newest) {
                if (body.back() != '[') body += ',';
                body += "{\"partition\":" + std::to_string(letter.partition) +
                        ",\"offset\":" + std::to_string(letter.offset) +
                        ",\"timestamp_ms\":" + std::to_string(letter.timestamp_ms);
                AppendField(body, "error", letter.error);
                AppendField(body, "stage", letter.stage);
                AppendField(body, "source_topic", letter.source_topic);
                AppendField(body, "source_partition", letter.source_partition);
                AppendField(body, "source_offset", letter.source_offset);
                AppendField(body, "value", letter.value);
                body += ",\"value_cut\":";
                body += letter.value_cut ? "true}" : "false}";
              }
              body += "]}";
              return http::JsonResponse(200, std::move(body));
            });
}

void DlqApi::HandleRedrive(http::Request& request, http::Responder respond) {
  const auto max = CountParameter(request, "max", kDefaultRedrive, kMaxRedrive);
  if (!max) return respond(http::ErrorResponse(400, max.error().message));
  RunOnPool(pool_, request, std::move(respond), [this, count = *max](const search::Cancellation&) {
    const auto outcome = letters_.Redrive(count);
    if (!outcome) return QueueError(outcome.error());
    return http::JsonResponse(200, "{\"redriven\":" + std::to_string(outcome->redriven) +
                                       ",\"pending\":" + std::to_string(outcome->pending) + "}");
  });
}

}  // namespace lp::api
