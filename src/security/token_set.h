#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "security/principal.h"
#include "security/rate_limiter.h"

namespace lp::security {

using Sha256Digest = std::array<unsigned char, 32>;

[[nodiscard]] Sha256Digest Sha256(std::string_view data);

/// One token as the tokens file defines it: its SHA-256, never the token.
struct TokenEntry {
  std::string name;
  Sha256Digest digest{};
  unsigned scopes = 0;
  std::string tenant{kDefaultTenant};
};

/// The tokens file (TOKENS_FILE), TOML; docs/SECURITY.md has the full format:
///
///     [[tokens]]
///     name = "shipper-acme"     # in audit lines and 403s; the token itself is never logged
///     sha256 = "<64 hex>"       # printf %s "$TOKEN" | sha256sum
///     scopes = ["ingest"]       # ingest, query, admin
///     tenant = "acme"           # default: "default"
///
///     [tenants.acme]            # optional rate limits of a tenant's ingest; none: unlimited
///     events_per_second = 5000  # events_burst defaults to one second's worth
///     bytes_per_second = "5MiB" # as received (compressed); bytes_burst likewise
///
/// Unknown keys, duplicate names or digests, bad scopes, tenants and limits are refused, each
/// problem naming the token or tenant. Immutable once parsed, so any thread may read it.
class TokenSet {
 public:
  [[nodiscard]] static Result<TokenSet> Parse(std::string_view toml, std::string_view source);
  [[nodiscard]] static Result<TokenSet> Load(const std::filesystem::path& path);

  /// Adds a token given in clear (the legacy COLLECTOR_AUTH_TOKEN): all scopes, default tenant.
  void AddClearToken(std::string name, std::string_view token);

  /// The entry whose digest is the token's; every entry is compared in constant time
  /// (CRYPTO_memcmp, no early exit), so response times tell nothing about the stored digests.
  [[nodiscard]] const TokenEntry* Find(std::string_view token) const;
  [[nodiscard]] const std::vector<TokenEntry>& tokens() const { return tokens_; }
  [[nodiscard]] const std::map<std::string, RateLimit, std::less<>>& limits() const {
    return limits_;
  }

 private:
  std::vector<TokenEntry> tokens_;
  std::map<std::string, RateLimit, std::less<>> limits_;
};

}  // namespace lp::security
