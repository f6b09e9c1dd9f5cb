#include "api/replay_api.h"

#include "core/json_escape.h"
#include "core/url_query.h"

namespace lp::api {
namespace {

std::string StatusJson(const replay::ReplayStatus& status) {
  std::string body = R"({"id":")";
  AppendJsonEscaped(body, status.id);
  body += R"(","state":")" + status.state + R"(","objects_total":)" +
          std::to_string(status.objects_total) + R"(,"objects_done":)" +
          std::to_string(status.objects_done) + R"(,"events_queued":)" +
          std::to_string(status.events_queued) + R"(,"events_skipped":)" +
          std::to_string(status.events_skipped) + R"(,"error":")";
  AppendJsonEscaped(body, status.error);
  body += "\"}";
  return body;
}

}  // namespace

void ReplayApi::HandleStart(http::Request& request, http::Responder respond) {
  const auto parameters = ParseUrlQuery(request.query);
  if (!parameters) return respond(http::ErrorResponse(400, "malformed query string"));
  replay::ReplayRequest replay;
  for (const auto& [name, day] : {std::pair{"from", &replay.from}, {"to", &replay.to}}) {
    const auto found = parameters->find(name);
    if (found == parameters->end()) {
      return respond(
          http::ErrorResponse(400, std::string(name) + ": required, a date such as 2025-10-30"));
    }
    const auto parsed = replay::ParseDate(found->second);
    if (!parsed)
      return respond(http::ErrorResponse(400, std::string(name) + ": " + parsed.error().message));
    *day = *parsed;
  }
  if (replay.to < replay.from)
    return respond(http::ErrorResponse(400, "to: must not be before from"));
  if (const auto service = parameters->find("service");
      service != parameters->end() && !service->second.empty()) {
    replay.service = service->second;
  }
  const auto id = replayer_.Start(std::move(replay));
  if (!id) {
    auto response = http::ErrorResponse(409, id.error().message);
    response.headers.emplace_back("Retry-After", "5");
    return respond(std::move(response));
  }
  respond(http::JsonResponse(202, StatusJson(*replayer_.Status(*id))));
}

void ReplayApi::HandleStatus(http::Request& request, http::Responder respond) {
  const auto parameters = ParseUrlQuery(request.query);
  if (!parameters || !parameters->contains("id")) {
    return respond(http::ErrorResponse(400, "id: required"));
  }
  const auto status = replayer_.Status(parameters->at("id"));
  if (!status) return respond(http::ErrorResponse(404, "no replay " + parameters->at("id")));
  respond(http::JsonResponse(200, StatusJson(*status)));
}

}  // namespace lp::api
