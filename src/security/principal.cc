#include "security/principal.h"

#include <algorithm>

namespace lp::security {

std::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kIngest:
      return "ingest";
    case Scope::kQuery:
      return "query";
    case Scope::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Scope> ParseScope(std::string_view name) {
  for (const Scope scope : {Scope::kIngest, Scope::kQuery, Scope::kAdmin}) {
    if (name == ScopeName(scope)) return scope;
  }
  return std::nullopt;
}

bool IsValidTenant(std::string_view tenant) {
  return !tenant.empty() && tenant.size() <= 64 &&
         std::all_of(tenant.begin(), tenant.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
         });
}

}  // namespace lp::security
