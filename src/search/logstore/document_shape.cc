#include "search/logstore/document_shape.h"

#include <simdjson.h>

#include <array>
#include <optional>
#include <vector>

#include "core/json_escape.h"
#include "core/json_members.h"
#include "core/timestamp.h"

namespace lp::search::logstore {
namespace {

struct MemberName {
  std::string_view quoted;
  ColumnMember bit;
};

constexpr std::array<MemberName, 6> kColumnMembers{{
    {R"("timestamp")", kTimestampMember},
    {R"("tenant")", kTenantMember},
    {R"("service")", kServiceMember},
    {R"("level")", kLevelMember},
    {R"("message")", kMessageMember},
    {R"("host")", kHostMember},
}};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The value of a JSON string literal (`raw` starts and ends with its quotes), or nullopt.
std::optional<std::string> StringValue(std::string_view raw) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return std::nullopt;
  const auto inner = raw.substr(1, raw.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return std::string(inner);
  thread_local simdjson::dom::parser parser;
  std::string_view value;
  if (parser.parse(raw.data(), raw.size()).get_string().get(value) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return std::string(value);
}

}  // namespace

StoredDocument StoreDocument(std::string_view json, int64_t timestamp_ms, std::string_view service,
                             std::string_view level, std::string_view message) {
  StoredDocument stored;
  thread_local std::vector<std::string_view> members;
  if (!FindTopLevelMembers(json, members)) {
    stored.json.assign(json);
    return stored;
  }
  stored.json.reserve(json.size());
  stored.json.push_back('{');
  for (const auto member : members) {
    bool taken = false;
    for (const auto& name : kColumnMembers) {
      if ((stored.members & name.bit) != 0 || !member.starts_with(name.quoted)) continue;
      auto rest = member.substr(name.quoted.size());
      while (!rest.empty() && IsSpace(rest.front())) rest.remove_prefix(1);
      if (rest.empty() || rest.front() != ':') break;
      rest.remove_prefix(1);
      while (!rest.empty() && IsSpace(rest.front())) rest.remove_prefix(1);
      while (!rest.empty() && IsSpace(rest.back())) rest.remove_suffix(1);
      const auto value = StringValue(rest);
      if (!value) break;
      switch (name.bit) {
        case kTimestampMember:
          taken = *value == FormatRfc3339Millis(timestamp_ms);
          break;
        case kServiceMember:
          taken = *value == service;
          break;
        case kLevelMember:
          taken = *value == level;
          break;
        case kMessageMember:
          taken = *value == message;
          break;
        case kHostMember:
          stored.host = *value;
          taken = true;
          break;
        case kTenantMember:
          stored.tenant = *value;
          taken = true;
          break;
      }
      if (taken) stored.members |= name.bit;
      break;
    }
    if (taken) continue;
    if (stored.json.size() > 1) stored.json.push_back(',');
    stored.json.append(member);
  }
  stored.json.push_back('}');
  return stored;
}

std::string RebuildDocument(std::string_view stored_json, uint8_t members,
                            const ColumnValues& columns) {
  if (members == 0) return std::string(stored_json);
  std::string json;
  json.reserve(stored_json.size() + columns.message.size() + columns.service.size() +
               columns.host.size() + 128);
  json.push_back('{');
  const auto add = [&](uint8_t bit, std::string_view quoted, std::string_view value) {
    if ((members & bit) == 0) return;
    if (json.size() > 1) json.push_back(',');
    json.append(quoted);
    json += ":\"";
    AppendJsonEscaped(json, value);
    json.push_back('"');
  };
  if ((members & kTimestampMember) != 0) {
    json += R"("timestamp":")";
    AppendRfc3339Millis(json, columns.timestamp_ms);
    json.push_back('"');
  }
  add(kTenantMember, R"("tenant")", columns.tenant);
  add(kServiceMember, R"("service")", columns.service);
  add(kLevelMember, R"("level")", columns.level);
  add(kMessageMember, R"("message")", columns.message);
  add(kHostMember, R"("host")", columns.host);
  // The rest: the stored object's inside.
  if (stored_json.size() > 2) {
    if (json.size() > 1) json.push_back(',');
    json.append(stored_json.substr(1, stored_json.size() - 2));
  }
  json.push_back('}');
  return json;
}

}  // namespace lp::search::logstore
