#include "security/token_set.h"

#include <gtest/gtest.h>

namespace lp::security {
namespace {

std::string Hex(const Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char byte : digest) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

std::string TokenToml(std::string_view name, std::string_view token, std::string_view scopes,
                      std::string_view extra = "") {
  return "[[tokens]]\nname = \"" + std::string(name) + "\"\nsha256 = \"" + Hex(Sha256(token)) +
         "\"\nscopes = " + std::string(scopes) + "\n" + std::string(extra);
}

TEST(TokenSetTest, Sha256MatchesTheKnownDigest) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TokenSetTest, FindsATokenByItsDigestOnly) {
  const auto set =
      TokenSet::Parse(TokenToml("acme-shipper", "s3cret", R"(["ingest"])", "tenant = \"acme\"\n") +
                          TokenToml("ops", "0ps-token", R"(["query", "admin"])"),
                      "tokens.toml");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  const auto* shipper = set->Find("s3cret");
  ASSERT_NE(shipper, nullptr);
  EXPECT_EQ(shipper->name, "acme-shipper");
  EXPECT_EQ(shipper->tenant, "acme");
  EXPECT_EQ(shipper->scopes, static_cast<unsigned>(Scope::kIngest));
  const auto* ops = set->Find("0ps-token");
  ASSERT_NE(ops, nullptr);
  EXPECT_EQ(ops->tenant, "default");
  EXPECT_EQ(ops->scopes,
            static_cast<unsigned>(Scope::kQuery) | static_cast<unsigned>(Scope::kAdmin));
  for (const char* wrong : {"", "s3cre", "s3cret ", "S3cret", "0ps-token\n"}) {
    EXPECT_EQ(set->Find(wrong), nullptr) << wrong;
  }
}

TEST(TokenSetTest, ReadsTenantRateLimitsWithBurstsOfOneSecond) {
  const auto set = TokenSet::Parse(
      "[tenants.acme]\nevents_per_second = 500\nbytes_per_second = \"1MiB\"\n"
      "bytes_burst = 4194304\n[tenants.globex]\nevents_per_second = 2.5\nevents_burst = 10\n",
      "tokens.toml");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->limits().at("acme"), (RateLimit{.events_per_second = 500,
                                                 .events_burst = 500,
                                                 .bytes_per_second = 1048576,
                                                 .bytes_burst = 4194304}));
  EXPECT_EQ(set->limits().at("globex"), (RateLimit{.events_per_second = 2.5, .events_burst = 10}));
  const std::pair<std::string, std::string> bad[] = {
      {"[tenants.acme]\nevents_per_second = 0\n", "tenants.acme.events_per_second must be"},
      {"[tenants.acme]\nevents_per_second = \"5MiB\"\n", "must be a positive number"},
      {"[tenants.acme]\nbytes_per_second = \"lots\"\n", "such as \"5MiB\""},
      {"[tenants.acme]\nevents = 5\n", "unknown key \"events\""},
      {"[tenants.acme]\nevents_burst = 5\n", "events_burst needs events_per_second"},
      {"[tenants.\"a b\"]\nevents_per_second = 5\n", "named by a tenant"},
      {"tenants = 5\n", "tenants must be a table"},
  };
  for (const auto& [text, expected] : bad) {
    const auto refused = TokenSet::Parse(text, "tokens.toml");
    ASSERT_FALSE(refused.has_value()) << text;
    EXPECT_NE(refused.error().message.find(expected), std::string::npos) << refused.error().message;
  }
}

TEST(TokenSetTest, AnEmptyFileHasNoTokens) {
  const auto set = TokenSet::Parse("", "tokens.toml");
  ASSERT_TRUE(set.has_value());
  EXPECT_TRUE(set->tokens().empty());
  EXPECT_EQ(set->Find("anything"), nullptr);
}

TEST(TokenSetTest, TheClearTokenHasEveryScopeInTheDefaultTenant) {
  TokenSet set;
  set.AddClearToken("COLLECTOR_AUTH_TOKEN", "legacy");
  const auto* entry = set.Find("legacy");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->scopes, kAllScopes);
  EXPECT_EQ(entry->tenant, "default");
}

TEST(TokenSetTest, RefusesBadEntriesNamingTheProblem) {
  const std::string digest = Hex(Sha256("x"));
  const std::pair<std::string, std::string> cases[] = {
      {"[[tokens]]\nsha256 = \"" + digest + "\"\nscopes = [\"ingest\"]\n", "name must be"},
      {"[[tokens]]\nname = \"a\"\nsha256 = \"abc\"\nscopes = [\"ingest\"]\n", "64 hex digits"},
      {"[[tokens]]\nname = \"a\"\ntoken = \"x\"\nsha256 = \"" + digest + "\"\nscopes = []\n",
       "unknown key \"token\""},
      {"[[tokens]]\nname = \"a\"\nsha256 = \"" + digest + "\"\nscopes = []\n", "at least one of"},
      {"[[tokens]]\nname = \"a\"\nsha256 = \"" + digest + "\"\nscopes = [\"write\"]\n",
       "unknown scope \"write\""},
      {"[[tokens]]\nname = \"a\"\nsha256 = \"" + digest +
           "\"\nscopes = [\"ingest\"]\ntenant = \"a b\"\n",
       "tenant must be"},
      {TokenToml("a", "x", R"(["ingest"])") + TokenToml("a", "y", R"(["ingest"])"),
       "two tokens are named \"a\""},
      {TokenToml("a", "x", R"(["ingest"])") + TokenToml("b", "x", R"(["ingest"])"), "same sha256"},
      {"[token]\nname = 1\n", "unknown table \"token\""},
      {"[[tokens]\n", "line 1"},
  };
  for (const auto& [text, expected] : cases) {
    const auto set = TokenSet::Parse(text, "tokens.toml");
    ASSERT_FALSE(set.has_value()) << text;
    EXPECT_NE(set.error().message.find(expected), std::string::npos) << set.error().message;
    EXPECT_TRUE(set.error().message.starts_with("tokens.toml")) << set.error().message;
  }
}

}  // namespace
}  // namespace lp::security
