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
/// Unknown keys, duplicate names or digests, bad scopes and tenants are refused, each problem
/// naming the token. Immutable once parsed, so any thread may read it.
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

 private:
  std::vector<TokenEntry> tokens_;
};

}  // namespace lp::security
