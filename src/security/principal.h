#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lp::security {

/// What a token may do. A route needs exactly one (the route x credential table, DESIGN §3).
enum class Scope : unsigned {
  kIngest = 1U << 0,  ///< Send events (POST /logs and every shipper protocol route).
  kQuery = 1U << 1,   ///< Read its own tenant's events (/api/search and the UI's other data).
  kAdmin = 1U << 2,   ///< Make the process work or read its state: replay, pipeline status.
};

inline constexpr unsigned kAllScopes = 7;
/// The tenant of the legacy single token (COLLECTOR_AUTH_TOKEN) and of tokens naming none.
inline constexpr std::string_view kDefaultTenant = "default";

[[nodiscard]] std::string_view ScopeName(Scope scope);
[[nodiscard]] std::optional<Scope> ParseScope(std::string_view name);
/// 1-64 letters, digits, `_`, `-` and `.`: tenants become metric labels and query terms.
[[nodiscard]] bool IsValidTenant(std::string_view tenant);

/// Who sent a request, as its token says: never the token itself.
struct Principal {
  std::string name;    ///< The token's name in the tokens file, for audit lines and errors.
  std::string tenant;  ///< Set on each event it sends; the only events its queries see.
  unsigned scopes = 0;

  [[nodiscard]] bool Has(Scope scope) const { return (scopes & static_cast<unsigned>(scope)) != 0; }
};

}  // namespace lp::security
