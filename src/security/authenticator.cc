#include "security/authenticator.h"

#include <openssl/evp.h>

#include <cctype>

namespace lp::security {
namespace {

bool StartsWithScheme(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
  for (size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return false;
  }
  return true;
}

// Standard base64 with padding; nullopt when `text` is not that.
std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()),
                                     static_cast<int>(text.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the bytes the padding stands for as decoded zeros.
  size_t padding = 0;
  while (padding < 2 && text[text.size() - 1 - padding] == '=') ++padding;
  out.resize(static_cast<size_t>(length) - padding);
  return out;
}

http::Response DefaultRefusalAnswer(const Authenticator::Refusal& refusal) {
  auto response = http::ErrorResponse(refusal.status, refusal.reason);
  if (refusal.status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace

AuthMetrics::AuthMetrics(metrics::Registry& registry)
    : refused(registry.AddCounter("auth_requests_refused_total",
                                  "Requests refused by authentication, by reason: missing (no "
                                  "credential), invalid (no such token), scope (403).",
                                  {"reason"})),
      reloads(registry.AddCounter("auth_tokens_reloads_total",
                                  "Tokens file reloads (SIGHUP), by result: ok, failed (the "
                                  "tokens in use stay).",
                                  {"result"})) {}

std::string CredentialOf(std::string_view authorization) {
  while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
  for (const std::string_view scheme : {"bearer", "splunk"}) {
    if (StartsWithScheme(authorization, scheme)) {
      return std::string(authorization.substr(scheme.size() + 1));
    }
  }
  for (const std::string_view scheme : {"basic", "apikey"}) {
    if (!StartsWithScheme(authorization, scheme)) continue;
    const auto decoded = DecodeBase64(authorization.substr(scheme.size() + 1));
    if (!decoded) return {};
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return scheme == "apikey" ? *decoded : std::string();
    return decoded->substr(colon + 1);
  }
  return {};
}

Authenticator::Authenticator(std::filesystem::path tokens_file, std::string legacy_token,
                             AuthMetrics& metrics)
    : tokens_file_(std::move(tokens_file)),
      legacy_token_(std::move(legacy_token)),
      enabled_(!tokens_file_.empty() || !legacy_token_.empty()),
      metrics_(metrics),
      tokens_(std::make_shared<const TokenSet>()) {}

Result<std::shared_ptr<const TokenSet>> Authenticator::Reload() {
  TokenSet set;
  if (!tokens_file_.empty()) {
    auto loaded = TokenSet::Load(tokens_file_);
    if (!loaded) {
      metrics_.reloads.WithLabels({"failed"}).Increment();
      return tl::unexpected(loaded.error());
    }
    set = std::move(*loaded);
  }
  if (!legacy_token_.empty()) set.AddClearToken("COLLECTOR_AUTH_TOKEN", legacy_token_);
  auto shared = std::make_shared<const TokenSet>(std::move(set));
  {
    std::lock_guard lock(mutex_);
    tokens_ = shared;
  }
  metrics_.reloads.WithLabels({"ok"}).Increment();
  return shared;
}

tl::expected<Principal, Authenticator::Refusal> Authenticator::Authorize(
    std::string_view authorization, Scope scope) const {
  if (!enabled_) return Principal{.name = {}, .tenant = {}, .scopes = kAllScopes};
  const std::string credential = CredentialOf(authorization);
  if (credential.empty()) {
    metrics_.refused.WithLabels({"missing"}).Increment();
    return tl::unexpected(
        Refusal{401,
                "a token is needed: send Authorization: Bearer <token> (or Splunk, ApiKey, "
                "Basic)"});
  }
  std::shared_ptr<const TokenSet> tokens;
  {
    std::lock_guard lock(mutex_);
    tokens = tokens_;
  }
  const TokenEntry* entry = tokens->Find(credential);
  if (entry == nullptr) {
    metrics_.refused.WithLabels({"invalid"}).Increment();
    return tl::unexpected(Refusal{401, "unknown token"});
  }
  Principal principal{.name = entry->name, .tenant = entry->tenant, .scopes = entry->scopes};
  if (!principal.Has(scope)) {
    metrics_.refused.WithLabels({"scope"}).Increment();
    return tl::unexpected(Refusal{403, "token \"" + entry->name + "\" lacks the " +
                                           std::string(ScopeName(scope)) +
                                           " scope this route needs"});
  }
  return principal;
}

tl::expected<Principal, http::Response> Authenticator::Authenticate(std::string_view authorization,
                                                                    Scope scope) const {
  return Authorize(authorization, scope).map_error(DefaultRefusalAnswer);
}

http::Route RequireScope(const Authenticator& authenticator, Scope scope, http::Route route,
                         RefusalAnswer answer) {
  if (!authenticator.enabled()) return route;
  route.handler = [&authenticator, scope, handler = std::move(route.handler),
                   answer = std::move(answer)](http::Request& request, http::Responder respond) {
    auto principal = authenticator.Authorize(request.authorization, scope);
    if (!principal) {
      return respond(answer ? answer(request, principal.error())
                            : DefaultRefusalAnswer(principal.error()));
    }
    request.tenant = std::move(principal->tenant);
    request.principal = std::move(principal->name);
    handler(request, std::move(respond));
  };
  return route;
}

}  // namespace lp::security
