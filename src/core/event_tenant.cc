#include "core/event_tenant.h"

#include "core/json_escape.h"
#include "core/json_members.h"

namespace lp {

bool AppendWithTenant(std::string_view event, simdjson::dom::element root, std::string_view tenant,
                      std::vector<std::string_view>& members, std::string& out) {
  simdjson::dom::object object;
  if (root.get_object().get(object)) return false;
  // Keys are compared as parsed (escapes decoded), so "\u0074enant" is the reserved field too.
  bool sender_wrote_tenant = false;
  for (const auto member : object) sender_wrote_tenant |= member.key == kTenantField;
  if (!sender_wrote_tenant && tenant.empty()) {
    out.append(event);
    return true;
  }
  const size_t start = out.size();
  out += '{';
  if (!tenant.empty()) {
    out += '"';
    out.append(kTenantField);
    out += "\":\"";
    AppendJsonEscaped(out, tenant);
    out += '"';
  }
  if (!sender_wrote_tenant) {
    const auto open = event.find('{');
    const auto rest = event.substr(open + 1);
    const bool empty_object = rest.find_first_not_of(" \t\r\n") == rest.size() - 1;
    if (!empty_object) out += ',';
    out.append(rest);
    return true;
  }
  // The DOM keeps members in text order, so the i-th key names the i-th member's text.
  if (!FindTopLevelMembers(event, members) || members.size() != object.size()) {
    out.resize(start);
    return false;
  }
  bool first = tenant.empty();
  size_t index = 0;
  for (const auto member : object) {
    const std::string_view text = members[index++];
    if (member.key == kTenantField) continue;
    if (!first) out += ',';
    first = false;
    out.append(text);
  }
  out += '}';
  return true;
}

}  // namespace lp
