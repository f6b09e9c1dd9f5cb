#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "core/metrics.h"
#include "core/result.h"
#include "http/server.h"
#include "security/principal.h"
#include "security/token_set.h"

namespace lp::security {

struct AuthMetrics {
  explicit AuthMetrics(metrics::Registry& registry);

  /// Requests refused, by reason: missing (no credential), invalid (no such token), scope.
  metrics::Family<metrics::Counter>& refused;
  /// Tokens file reloads (SIGHUP), by result: ok, failed (the previous tokens stay).
  metrics::Family<metrics::Counter>& reloads;
};

/// The token a request carries, in any of the forms shippers send it:
/// `Authorization: Bearer <token>`, `Splunk <token>` (HEC), `ApiKey <base64(id:token)>`
/// (Elasticsearch; without a colon the whole decoded value), `Basic <base64(user:token)>`.
/// Schemes are case-insensitive. Empty when there is none.
[[nodiscard]] std::string CredentialOf(std::string_view authorization);

/// Turns requests into principals (DESIGN §3, docs/SECURITY.md). Enabled when a tokens file or
/// the legacy single token (COLLECTOR_AUTH_TOKEN: all scopes, tenant "default") is configured;
/// disabled, every request passes without a principal. Reload() swaps the tokens file's set
/// atomically; requests in flight keep the set they started with. Thread-safe.
class Authenticator {
 public:
  Authenticator(std::filesystem::path tokens_file, std::string legacy_token, AuthMetrics& metrics);

  /// Reads the tokens file; on failure the tokens in use stay. Returns the set now in use (its
  /// tenants' rate limits are for the RateLimiter).
  [[nodiscard]] Result<std::shared_ptr<const TokenSet>> Reload();
  [[nodiscard]] bool enabled() const { return enabled_; }

  /// Why a request is refused: 401 (no or an unknown token) or 403 (a token without the scope).
  struct Refusal {
    unsigned status = 401;
    std::string reason;
  };

  /// The principal of a request's Authorization header when its token has `scope`; otherwise
  /// why not. Disabled: a principal with every scope and an empty tenant (no tenant applies).
  [[nodiscard]] tl::expected<Principal, Refusal> Authorize(std::string_view authorization,
                                                           Scope scope) const;
  /// Authorize, with a refusal as the answer to send (`{"error":...}`, 401 with
  /// `WWW-Authenticate: Bearer`, or 403).
  [[nodiscard]] tl::expected<Principal, http::Response> Authenticate(std::string_view authorization,
                                                                     Scope scope) const;

 private:
  const std::filesystem::path tokens_file_;
  const std::string legacy_token_;
  const bool enabled_;
  AuthMetrics& metrics_;
  mutable std::mutex mutex_;
  std::shared_ptr<const TokenSet> tokens_;
};

/// Answers a refused request in a protocol's own error form (an Elasticsearch error, a
/// google.rpc.Status, ...).
using RefusalAnswer =
    std::function<http::Response(const http::Request& request, const Authenticator::Refusal&)>;

/// `route` answering 401/403 unless the request's token has `scope`; the handler then finds the
/// token's tenant and name in `request.tenant` / `request.principal`. `authenticator` must
/// outlive the route. With authentication disabled, the route as it is. Refusals are answered
/// as Authenticate does, or by `answer` when given (a shipper protocol's form).
[[nodiscard]] http::Route RequireScope(const Authenticator& authenticator, Scope scope,
                                       http::Route route, RefusalAnswer answer = {});

}  // namespace lp::security
