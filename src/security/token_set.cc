#include "security/token_set.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/file_util.h"
#include "core/units.h"

namespace lp::security {
namespace {

std::optional<Sha256Digest> ParseHexDigest(std::string_view hex) {
  Sha256Digest digest{};
  if (hex.size() != digest.size() * 2) return std::nullopt;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < digest.size(); ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    digest[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return digest;
}

// Reads one [[tokens]] entry; the error names the entry and the key.
Result<TokenEntry> ParseToken(const toml::table& table, size_t index) {
  TokenEntry entry;
  const auto where = [&] {
    return "tokens[" + std::to_string(index) + "]" +
           (entry.name.empty() ? std::string() : " (\"" + entry.name + "\")");
  };
  if (auto name = table["name"].value<std::string>(); name && !name->empty()) {
    entry.name = *name;
  } else {
    return Permanent(where() + ": name must be a non-empty string");
  }
  for (const auto& [key, value] : table) {
    if (key != "name" && key != "sha256" && key != "scopes" && key != "tenant") {
      return Permanent(where() + ": unknown key \"" + std::string(key.str()) +
                       "\" (known: name, sha256, scopes, tenant)");
    }
  }
  const auto hex = table["sha256"].value<std::string>();
  const auto digest = hex ? ParseHexDigest(*hex) : std::nullopt;
  if (!digest) {
    return Permanent(where() +
                     ": sha256 must be the 64 hex digits of the token's SHA-256 (printf %s "
                     "\"$TOKEN\" | sha256sum); the token itself is never written in the file");
  }
  entry.digest = *digest;
  const auto* scopes = table["scopes"].as_array();
  if (scopes == nullptr || scopes->empty()) {
    return Permanent(where() + ": scopes must list at least one of ingest, query, admin");
  }
  for (const auto& node : *scopes) {
    const auto name = node.value<std::string>();
    const auto scope = name ? ParseScope(*name) : std::nullopt;
    if (!scope) {
      return Permanent(where() + ": unknown scope " +
                       (name ? "\"" + *name + "\"" : "(not a string)") +
                       " (known: ingest, query, admin)");
    }
    entry.scopes |= static_cast<unsigned>(*scope);
  }
  if (const auto* tenant = table.get("tenant")) {
    const auto value = tenant->value<std::string>();
    if (!value || !IsValidTenant(*value)) {
      return Permanent(where() + ": tenant must be 1-64 letters, digits, '_', '-' or '.'");
    }
    entry.tenant = *value;
  }
  return entry;
}

// A positive rate or burst: a number, or for bytes also a size such as "5MiB".
Result<double> ParseAmount(const toml::node& node, bool bytes, const std::string& where) {
  if (const auto number = node.value<double>(); number && *number > 0 && std::isfinite(*number)) {
    return *number;
  }
  if (const auto text = node.value<std::string>(); bytes && text) {
    if (const auto size = ParseByteSize(*text); size && *size > 0) {
      return static_cast<double>(*size);
    }
  }
  return Permanent(where + (bytes ? " must be a positive number of bytes or a size such as \"5MiB\""
                                  : " must be a positive number"));
}

Result<RateLimit> ParseLimit(const toml::table& table, const std::string& tenant) {
  RateLimit limit;
  const std::string where = "tenants." + tenant;
  struct Key {
    std::string_view name;
    double RateLimit::*field;
    bool bytes;
  };
  static constexpr Key kKeys[] = {{"events_per_second", &RateLimit::events_per_second, false},
                                  {"events_burst", &RateLimit::events_burst, false},
                                  {"bytes_per_second", &RateLimit::bytes_per_second, true},
                                  {"bytes_burst", &RateLimit::bytes_burst, true}};
  for (const auto& [key, value] : table) {
    const auto* known = std::find_if(std::begin(kKeys), std::end(kKeys),
                                     [&](const Key& k) { return k.name == key.str(); });
    if (known == std::end(kKeys)) {
      return Permanent(where + ": unknown key \"" + std::string(key.str()) +
                       "\" (known: events_per_second, events_burst, bytes_per_second, "
                       "bytes_burst)");
    }
    auto amount = ParseAmount(value, known->bytes, where + "." + std::string(known->name));
    if (!amount) return tl::unexpected(amount.error());
    limit.*(known->field) = *amount;
  }
  if (limit.events_burst > 0 && limit.events_per_second == 0) {
    return Permanent(where + ": events_burst needs events_per_second");
  }
  if (limit.bytes_burst > 0 && limit.bytes_per_second == 0) {
    return Permanent(where + ": bytes_burst needs bytes_per_second");
  }
  if (limit.events_burst == 0) limit.events_burst = limit.events_per_second;
  if (limit.bytes_burst == 0) limit.bytes_burst = limit.bytes_per_second;
  return limit;
}

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int length = 0;
  // SHA-256 of memory cannot fail short of memory exhaustion, which OpenSSL reports as 0; a
  // zero digest then matches no token.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    digest.fill(0);
  }
  return digest;
}

Result<TokenSet> TokenSet::Parse(std::string_view toml_text, std::string_view source) {
  toml::table table;
  try {
    table = toml::parse(toml_text, source);
  } catch (const toml::parse_error& error) {
    return Permanent(std::string(source) + ": " + std::string(error.description()) + " (line " +
                     std::to_string(error.source().begin.line) + ")");
  }
  for (const auto& [key, value] : table) {
    if (key != "tokens" && key != "tenants") {
      return Permanent(std::string(source) + ": unknown table \"" + std::string(key.str()) +
                       "\" (known: tokens, tenants)");
    }
  }
  TokenSet set;
  if (const auto* tenants = table.get("tenants")) {
    if (!tenants->is_table()) {
      return Permanent(std::string(source) + ": tenants must be a table ([tenants.<name>])");
    }
    for (const auto& [name, limits] : *tenants->as_table()) {
      const std::string tenant(name.str());
      if (!IsValidTenant(tenant) || !limits.is_table()) {
        return Permanent(std::string(source) + ": [tenants." + tenant +
                         "] must be a table named by a tenant (1-64 letters, digits, '_', '-', "
                         "'.')");
      }
      auto limit = ParseLimit(*limits.as_table(), tenant);
      if (!limit) return Permanent(std::string(source) + ": " + limit.error().message);
      set.limits_.emplace(tenant, *limit);
    }
  }
  const auto* tokens = table["tokens"].as_array();
  if (tokens == nullptr) {
    if (table.contains("tokens")) {
      return Permanent(std::string(source) + ": tokens must be an array of tables ([[tokens]])");
    }
    return set;
  }
  std::set<std::string> names;
  std::set<Sha256Digest> digests;
  for (size_t i = 0; i < tokens->size(); ++i) {
    const auto* entry_table = (*tokens)[i].as_table();
    if (entry_table == nullptr) {
      return Permanent(std::string(source) + ": tokens[" + std::to_string(i) +
                       "] must be a table ([[tokens]])");
    }
    auto entry = ParseToken(*entry_table, i);
    if (!entry) return Permanent(std::string(source) + ": " + entry.error().message);
    if (!names.insert(entry->name).second) {
      return Permanent(std::string(source) + ": two tokens are named \"" + entry->name + "\"");
    }
    if (!digests.insert(entry->digest).second) {
      return Permanent(std::string(source) + ": token \"" + entry->name +
                       "\" has the same sha256 as another token");
    }
    set.tokens_.push_back(std::move(*entry));
  }
  return set;
}

Result<TokenSet> TokenSet::Load(const std::filesystem::path& path) {
  auto text = ReadWholeFile(path);
  if (!text) return Permanent("TOKENS_FILE " + path.string() + ": " + text.error().message);
  return Parse(*text, path.string());
}

void TokenSet::AddClearToken(std::string name, std::string_view token) {
  tokens_.push_back(TokenEntry{.name = std::move(name),
                               .digest = Sha256(token),
                               .scopes = kAllScopes,
                               .tenant = std::string(kDefaultTenant)});
}

const TokenEntry* TokenSet::Find(std::string_view token) const {
  const Sha256Digest digest = Sha256(token);
  const TokenEntry* found = nullptr;
  for (const auto& entry : tokens_) {
    const bool equal = CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0;
    if (equal) found = &entry;
  }
  return found;
}

}  // namespace lp::security
