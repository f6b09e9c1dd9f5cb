#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace lp {

/// The reserved top-level field holding the tenant an event belongs to. The collector sets it
/// from the token that sent the event; a value the sender wrote is never kept (DESIGN §4).
inline constexpr std::string_view kTenantField = "tenant";

/// Appends `event` (a JSON object's text, already validated into `root`) to `out` with the
/// reserved field set: `"tenant":"<tenant>"` first, then every member except those the sender
/// named `tenant`. An empty `tenant` only removes the sender's. Returns false, appending
/// nothing, when the text cannot be split into members (it always can after validation).
/// `members` is scratch space, reused between calls.
[[nodiscard]] bool AppendWithTenant(std::string_view event, simdjson::dom::element root,
                                    std::string_view tenant, std::vector<std::string_view>& members,
                                    std::string& out);

}  // namespace lp
