#include "security/redactor.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/testing/temp_directory.h"

namespace lp::security {
namespace {

class RedactorTest : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(directory_.path()); }

  std::unique_ptr<Redactor> Make(std::string_view rules = "", std::string key = "k3y") {
    RedactionOptions options{.rules_file = {}, .hash_key = std::move(key)};
    if (!rules.empty()) {
      options.rules_file = directory_.path() / "rules.toml";
      std::ofstream(options.rules_file) << rules;
    }
    auto made = Redactor::Create(options, registry_);
    EXPECT_TRUE(made.has_value()) << made.error().message;
    return made ? std::move(*made) : nullptr;
  }
  std::string Error(std::string_view rules, std::string key = "k3y") {
    const auto path = directory_.path() / "rules.toml";
    std::ofstream(path) << rules;
    metrics::Registry registry;
    auto made = Redactor::Create({.rules_file = path, .hash_key = std::move(key)}, registry);
    EXPECT_FALSE(made.has_value()) << rules;
    return made ? "" : made.error().message;
  }

  // The event as it leaves the redactor: redacted, as it came, or "DROPPED".
  std::string Apply(const Redactor& redactor, std::string_view event) {
    std::string out = "prefix|";
    switch (redactor.Apply(event, scratch_, out)) {
      case Redactor::Outcome::kUnchanged:
        EXPECT_EQ(out, "prefix|");
        return std::string(event);
      case Redactor::Outcome::kDropped:
        EXPECT_EQ(out, "prefix|");
        return "DROPPED";
      case Redactor::Outcome::kRedacted:
        return out.substr(7);
    }
    return {};
  }
  std::string Message(const Redactor& redactor, std::string_view message) {
    return Apply(redactor,
                 R"({"service":"s","level":"INFO","message":")" + std::string(message) + R"("})");
  }
  std::string Redacted(std::string_view message) {
    return R"({"service":"s","level":"INFO","message":")" + std::string(message) + R"("})";
  }

  test_support::TempDirectory directory_{"redactor"};
  metrics::Registry registry_;
  RedactionScratch scratch_;
};

TEST_F(RedactorTest, EachBuiltinDetectorMasksWhatItFindsAndLeavesLookAlikes) {
  const auto redactor = Make();
  const std::pair<std::string, std::string> found[] = {
      {"mail jane.doe+x@example.co.uk now", "mail ****o.uk now"},
      {"card 4111 1111 1111 1111 ok", "card ****1111 ok"},
      {"iban DE89370400440532013000", "iban ****3000"},
      {"t eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature-1", "t ****re-1"},
      {"Authorization: Bearer abcdefghijklmnop1234", "Authorization: ****1234"},
      {"key ghp_abcdefghijklmnopqrstuvwxyz0123456789", "key ****6789"},
      {"id AKIAIOSFODNN7EXAMPLE", "id ****MPLE"},
      {"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "****EKEY"},
      {"-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY-----", "****----"},
  };
  for (const auto& [message, expected] : found) {
    EXPECT_EQ(Message(*redactor, message), Redacted(expected)) << message;
  }
  const char* look_alikes[] = {
      "order 4111111111111112 shipped",         // fails Luhn
      "iban DE89370400440532013001",            // fails mod 97
      "eyJub3RhbGciOjF9.eyJzdWIiOiIxIn0.c2ln",  // no alg in the header
      "user@localhost",                         // no domain
      "bearer short",                           // too short for a token
      "AKIA123",                                // too short for a key
      "from 10.1.2.3 and 2001:db8::1",          // addresses are opt-in
      "std::string costs 12:30:45",
  };
  for (const char* message : look_alikes) {
    EXPECT_EQ(Message(*redactor, message), Redacted(message)) << message;
  }
}

TEST_F(RedactorTest, SearchesMessagePayloadAndLabelsOnly) {
  const auto redactor = Make();
  EXPECT_EQ(Apply(*redactor,
                  R"({"service":"a@b.io","level":"INFO","message":"m","host":"x@y.org",)"
                  R"("payload":{"user":{"email":"jane@example.com","n":[1,"bob@example.org"]},)"
                  R"("card":4111111111111111,"big":1e999},"labels":{"owner":"ops@example.com"}})"),
            R"({"service":"a@b.io","level":"INFO","message":"m","host":"x@y.org",)"
            R"("payload":{"user":{"email":"****.com","n":[1,"****.org"]},)"
            R"("card":"****1111","big":1e999},"labels":{"owner":"****.com"}})");
}

TEST_F(RedactorTest, CustomRulesAndEveryAction) {
  const auto redactor = Make(R"(
[builtin]
email = "hash"
ipv4 = "mask"
credit_card = "off"

[[rules]]
name = "passwords"
field = "payload.password"
action = "drop_field"

[[rules]]
name = "employee"
pattern = "EMP-[0-9]{6}"
action = "hash"

[[rules]]
name = "canary"
field = "labels.*"
pattern = "DO-NOT-STORE"
action = "drop_event"
)");
  ASSERT_NE(redactor, nullptr);
  const std::string out = Apply(
      *redactor,
      R"({"service":"s","level":"INFO","message":"EMP-123456 from 10.1.2.3 card 4111111111111111",)"
      R"("payload":{"password":"hunter2","to":"jane@example.com"}})");
  EXPECT_EQ(out.find("EMP-123456"), std::string::npos) << out;
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(out.find("password"), std::string::npos) << out;
  EXPECT_EQ(out.find("jane@example.com"), std::string::npos) << out;
  EXPECT_NE(out.find("from ****.2.3 card 4111111111111111"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("payload":{"to":"hmac:)"), std::string::npos) << out;
  // The same value hashes the same way, so it still correlates.
  const std::string again =
      Apply(*redactor, R"({"service":"s","level":"INFO","message":"EMP-123456"})");
  const auto hash_at = out.find("hmac:");
  EXPECT_EQ(again,
            R"({"service":"s","level":"INFO","message":")" + out.substr(hash_at, 69) + R"("})");
  EXPECT_EQ(Apply(*redactor,
                  R"({"service":"s","level":"INFO","message":"m","labels":{"x":"DO-NOT-STORE"}})"),
            "DROPPED");
  // The canary only counts in labels.
  EXPECT_EQ(Apply(*redactor, R"({"service":"s","level":"INFO","message":"DO-NOT-STORE"})"),
            R"({"service":"s","level":"INFO","message":"DO-NOT-STORE"})");
  const std::string metrics = registry_.RenderText();
  EXPECT_NE(metrics.find(R"(redactions_total{rule="passwords"} 1)"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find(R"(redactions_total{rule="employee"} 2)"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("redaction_dropped_events_total 1"), std::string::npos) << metrics;
}

TEST_F(RedactorTest, AWholeFieldRuleMasksAnyValue) {
  const auto redactor =
      Make("[[rules]]\nname = \"acct\"\nfield = \"payload.account\"\naction = \"mask\"\n");
  EXPECT_EQ(
      Apply(*redactor,
            R"({"service":"s","level":"INFO","message":"m","payload":{"account":12345678901}})"),
      R"({"service":"s","level":"INFO","message":"m","payload":{"account":"****8901"}})");
}

// The whole-event prefilter reads the event's JSON text: an escaped value, or a pattern anchored
// to a value's ends, must still be found.
TEST_F(RedactorTest, FindsEscapedValues) {
  const auto redactor = Make();
  EXPECT_EQ(Message(*redactor, R"(mail ann\u0040example.org)"), Redacted("mail ****.org"));
  EXPECT_EQ(Message(*redactor, R"(mail \"ann@example.org\")"), Redacted(R"(mail \"****.org\")"));
}

TEST_F(RedactorTest, FindsPatternsAnchoredToAValuesEnds) {
  const auto anchored =
      Make("[[rules]]\nname = \"whole\"\npattern = \"^secret-[0-9]+$\"\naction = \"mask\"\n");
  EXPECT_EQ(Message(*anchored, "secret-12345"), Redacted("****2345"));
  EXPECT_EQ(Message(*anchored, "a secret-12345"), Redacted("a secret-12345"));
}

TEST_F(RedactorTest, ADryRunListsEachRedactionAndCountsNothing) {
  const auto redactor = Make(
      "[builtin]\nipv4 = \"mask\"\n[[rules]]\nname = \"pw\"\nfield = \"payload.password\"\n"
      "action = \"drop_field\"\n");
  std::vector<RedactionHit> hits;
  std::string out;
  EXPECT_EQ(redactor->Apply(
                R"({"service":"s","message":"from 8.8.8.8 by a@b.io","payload":{"password":"x"}})",
                scratch_, out, &hits),
            Redactor::Outcome::kRedacted);
  EXPECT_EQ(out, R"({"service":"s","message":"from **** by ****","payload":{}})");
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].rule, "email");
  EXPECT_EQ(hits[0].path, "message");
  EXPECT_EQ(hits[1].rule, "ipv4");
  EXPECT_EQ(hits[2].rule, "pw");
  EXPECT_EQ(hits[2].path, "payload.password");
  EXPECT_EQ(ActionName(hits[2].action), "drop_field");
  const std::string metrics = registry_.RenderText();
  EXPECT_NE(metrics.find(R"(redactions_total{rule="email"} 0)"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find(R"(redactions_total{rule="pw"} 0)"), std::string::npos) << metrics;
}

TEST_F(RedactorTest, RefusesBadRulesNamingThem) {
  EXPECT_NE(Error("[[rules]]\nname = \"x\"\npattern = \"(\"\naction = \"mask\"\n")
                .find("rules[0] (\"x\"): bad pattern"),
            std::string::npos);
  EXPECT_NE(
      Error("[[rules]]\nname = \"x\"\nfield = \"host\"\naction = \"mask\"\n").find("field must be"),
      std::string::npos);
  EXPECT_NE(Error("[[rules]]\nname = \"x\"\naction = \"mask\"\n").find("needs a field, a pattern"),
            std::string::npos);
  EXPECT_NE(Error("[[rules]]\nname = \"x\"\nfield = \"message\"\naction = \"erase\"\n")
                .find("action must be"),
            std::string::npos);
  EXPECT_NE(Error("[builtin]\nphone = \"mask\"\n").find("builtin.phone is no detector"),
            std::string::npos);
  EXPECT_NE(Error("[builtin]\nemail = \"hash\"\n", "").find("REDACTION_HASH_KEY_FILE"),
            std::string::npos);
}

}  // namespace
}  // namespace lp::security
