#include "security/authenticator.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/testing/temp_directory.h"

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

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(directory_.path()); }
  void WriteTokens(std::string_view body) { std::ofstream(tokens_file_) << body; }
  void WriteShipperToken() {
    WriteTokens("[[tokens]]\nname = \"shipper\"\nsha256 = \"" + Hex(Sha256("ingest-token")) +
                "\"\nscopes = [\"ingest\"]\ntenant = \"acme\"\n");
  }

  test_support::TempDirectory directory_{"auth"};
  std::filesystem::path tokens_file_ = directory_.path() / "tokens.toml";
  metrics::Registry registry_;
  AuthMetrics metrics_{registry_};
};

TEST(CredentialTest, ReadsEveryShipperForm) {
  EXPECT_EQ(CredentialOf("Bearer abc"), "abc");
  EXPECT_EQ(CredentialOf("bearer abc "), "abc");
  EXPECT_EQ(CredentialOf("Splunk abc"), "abc");
  EXPECT_EQ(CredentialOf("ApiKey aWQ6YWJj"), "abc");     // base64("id:abc")
  EXPECT_EQ(CredentialOf("ApiKey YWJj"), "abc");         // base64("abc")
  EXPECT_EQ(CredentialOf("Basic dXNlcjphYmM="), "abc");  // base64("user:abc")
  EXPECT_EQ(CredentialOf("Basic OmE6Yg=="), "a:b");  // base64(":a:b"): the password keeps colons
  for (const char* none : {"", "Bearer", "Bearer ", "Token abc", "Basic YWJj", "Basic !!!!",
                           "ApiKey abc", "Basicabc"}) {
    EXPECT_EQ(CredentialOf(none), "") << none;
  }
}

TEST_F(AuthenticatorTest, DisabledLetsEveryRequestThroughWithoutATenant) {
  Authenticator authenticator({}, {}, metrics_);
  EXPECT_FALSE(authenticator.enabled());
  const auto principal = authenticator.Authenticate("", Scope::kAdmin);
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->tenant, "");
}

TEST_F(AuthenticatorTest, AnswersEachScopeWith401Or403) {
  WriteShipperToken();
  Authenticator authenticator(tokens_file_, {}, metrics_);
  const auto loaded = authenticator.Reload();
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ((*loaded)->tokens().size(), 1U);
  const auto ingest = authenticator.Authenticate("Bearer ingest-token", Scope::kIngest);
  ASSERT_TRUE(ingest.has_value());
  EXPECT_EQ(ingest->tenant, "acme");
  EXPECT_EQ(ingest->name, "shipper");
  const auto query = authenticator.Authenticate("Bearer ingest-token", Scope::kQuery);
  ASSERT_FALSE(query.has_value());
  EXPECT_EQ(query.error().status, 403U);
  EXPECT_NE(query.error().body.find("query scope"), std::string::npos);
  EXPECT_EQ(query.error().body.find("ingest-token"), std::string::npos);
  for (const char* wrong : {"", "Bearer wrong", "Bearer ingest-toke"}) {
    const auto refused = authenticator.Authenticate(wrong, Scope::kIngest);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().status, 401U) << wrong;
  }
  EXPECT_EQ(metrics_.refused.WithLabels({"scope"}).Value(), 1U);
  EXPECT_EQ(metrics_.refused.WithLabels({"invalid"}).Value(), 2U);
  EXPECT_EQ(metrics_.refused.WithLabels({"missing"}).Value(), 1U);
}

TEST_F(AuthenticatorTest, TheLegacyTokenHasEveryScopeInTheDefaultTenant) {
  Authenticator authenticator({}, "legacy", metrics_);
  ASSERT_TRUE(authenticator.Reload().has_value());
  EXPECT_TRUE(authenticator.enabled());
  for (const Scope scope : {Scope::kIngest, Scope::kQuery, Scope::kAdmin}) {
    const auto principal = authenticator.Authenticate("Bearer legacy", scope);
    ASSERT_TRUE(principal.has_value());
    EXPECT_EQ(principal->tenant, "default");
  }
}

TEST_F(AuthenticatorTest, AFailedReloadKeepsTheTokensInUse) {
  WriteShipperToken();
  Authenticator authenticator(tokens_file_, {}, metrics_);
  ASSERT_TRUE(authenticator.Reload().has_value());
  WriteTokens("[[tokens]]\nname = \"broken\"\n");
  EXPECT_FALSE(authenticator.Reload().has_value());
  EXPECT_TRUE(authenticator.Authenticate("Bearer ingest-token", Scope::kIngest).has_value());
  EXPECT_EQ(metrics_.reloads.WithLabels({"failed"}).Value(), 1U);
  WriteTokens("");
  const auto emptied = authenticator.Reload();
  ASSERT_TRUE(emptied.has_value());
  EXPECT_TRUE((*emptied)->tokens().empty());
  EXPECT_FALSE(authenticator.Authenticate("Bearer ingest-token", Scope::kIngest).has_value());
}

TEST_F(AuthenticatorTest, RequireScopeHandsTheTenantToTheHandler) {
  WriteShipperToken();
  Authenticator authenticator(tokens_file_, {}, metrics_);
  ASSERT_TRUE(authenticator.Reload().has_value());
  std::string seen_tenant;
  const auto route = RequireScope(
      authenticator, Scope::kIngest,
      http::Route{"POST", "/logs", [&](http::Request& request, http::Responder respond) {
                    seen_tenant = request.tenant;
                    respond(http::JsonResponse(202, "{}"));
                  }});
  http::Request request;
  request.tenant = "forged";
  unsigned status = 0;
  route.handler(request, [&](http::Response response) { status = response.status; });
  EXPECT_EQ(status, 401U);
  EXPECT_EQ(seen_tenant, "");
  request.authorization = "Basic " + std::string("dXNlcjppbmdlc3QtdG9rZW4=");  // user:ingest-token
  route.handler(request, [&](http::Response response) { status = response.status; });
  EXPECT_EQ(status, 202U);
  EXPECT_EQ(seen_tenant, "acme");
  EXPECT_EQ(request.principal, "shipper");
}

}  // namespace
}  // namespace lp::security
