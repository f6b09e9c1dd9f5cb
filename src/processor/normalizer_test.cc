#include "processor/normalizer.h"

#include <gtest/gtest.h>

namespace lp::processor {
namespace {

TEST(NormalizerTest, NormalizesTimestampAndLevelAndKeepsEverythingElse) {
  EventValidator validator;
  const std::string json =
      R"({"timestamp":"2025-10-30T18:04:56.7+05:30","service":"web","level":"warning",)"
      R"("message":"m \"q\"","payload":{"ip_address":"8.8.8.8"},"extra":[1,true]})";
  const auto event = validator.Validate(json);
  ASSERT_TRUE(event.has_value());
  const auto document = Normalizer().Normalize(*event, json, "app-logs-3-42", 1, 1761827700000);
  EXPECT_EQ(document.id, "app-logs-3-42");
  EXPECT_EQ(document.timestamp_ms, 1761827696700);
  EXPECT_EQ(document.level, "WARN");
  EXPECT_EQ(document.service, "web");
  EXPECT_EQ(document.message, "m \"q\"");
  EXPECT_EQ(document.json,
            R"({"timestamp":"2025-10-30T12:34:56.700Z","service":"web","level":"WARN",)"
            R"("message":"m \"q\"","payload":{"ip_address":"8.8.8.8"},"extra":[1,true],)"
            R"("ingested_at":"2025-10-30T12:35:00.000Z"})");
}

TEST(NormalizerTest, UsesTheRecordTimeWhenTheEventHasNone) {
  EventValidator validator;
  const std::string json = R"({"service":"web","level":"critical","message":"m"})";
  const auto event = validator.Validate(json);
  ASSERT_TRUE(event.has_value());
  const auto document = Normalizer().Normalize(*event, json, "id", 1761827696789, 1761827696790);
  EXPECT_EQ(document.timestamp_ms, 1761827696789);
  EXPECT_EQ(document.level, "FATAL");
  EXPECT_NE(document.json.find(R"("timestamp":"2025-10-30T12:34:56.789Z")"), std::string::npos);
}

TEST(NormalizerTest, AddsGeoInPlaceOfAnyTheEventBrought) {
  EventValidator validator;
  const std::string json =
      R"({"timestamp":"2025-10-30T12:34:56Z","service":"web","level":"INFO","message":"m",)"
      R"("geo":"forged","payload":{"ip_address":"8.8.8.8"}})";
  const auto event = validator.Validate(json);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(Normalizer::IpAddressOf(*event), "8.8.8.8");
  const GeoLocation geo{.country_iso_code = "US",
                        .country_name = "United \"States\"",
                        .city_name = "",
                        .latitude = 37.422,
                        .longitude = -122.085};
  const auto document = Normalizer().Normalize(*event, json, "id", 1, 1761827700000, &geo);
  EXPECT_EQ(document.json,
            R"({"timestamp":"2025-10-30T12:34:56.000Z","service":"web","level":"INFO",)"
            R"("message":"m","payload":{"ip_address":"8.8.8.8"},)"
            R"("geo":{"country_iso_code":"US","country_name":"United \"States\"",)"
            R"("location":{"lat":37.422,"lon":-122.085}},)"
            R"("ingested_at":"2025-10-30T12:35:00.000Z"})");
}

TEST(NormalizerTest, CopiesValuesAsWrittenAndKnowsEscapedNames) {
  EventValidator validator;
  const std::string json = R"({ "service" : "web", "lev\u0065l":"error", "message":"caf\u00e9",)"
                           R"( "n": 1.50, "ingested\u005fat": "forged" })";
  const auto event = validator.Validate(json);
  ASSERT_TRUE(event.has_value());
  const auto document = Normalizer().Normalize(*event, json, "id", 0, 0);
  EXPECT_EQ(document.message, "café");
  EXPECT_EQ(document.json,
            R"({"timestamp":"1970-01-01T00:00:00.000Z","service" : "web","level":"ERROR",)"
            R"("message":"caf\u00e9","n": 1.50,"ingested_at":"1970-01-01T00:00:00.000Z"})");
}

TEST(NormalizerTest, TheEventsOwnIdReplacesTheGivenOneAndIsNotStored) {
  EventValidator validator;
  const std::string json =
      R"({"tenant":"acme","_id":"doc-1","service":"web","level":"info","message":"m"})";
  const auto event = validator.Validate(json);
  ASSERT_TRUE(event.has_value());
  const auto document = Normalizer().Normalize(*event, json, "app-logs-0-7", 0, 0);
  EXPECT_EQ(document.id, "doc-1");
  EXPECT_EQ(document.json,
            R"({"timestamp":"1970-01-01T00:00:00.000Z","tenant":"acme","service":"web",)"
            R"("level":"INFO","message":"m","ingested_at":"1970-01-01T00:00:00.000Z"})");
  // An `_id` that is no usable id leaves the given one, and is not stored either.
  for (const char* other : {R"({"_id":"","service":"web","level":"info","message":"m"})",
                            R"({"_id":7,"service":"web","level":"info","message":"m"})"}) {
    const std::string text = other;
    const auto odd = validator.Validate(text);
    ASSERT_TRUE(odd.has_value()) << other;
    const auto kept = Normalizer().Normalize(*odd, text, "app-logs-0-8", 0, 0);
    EXPECT_EQ(kept.id, "app-logs-0-8");
    EXPECT_EQ(kept.json.find("_id"), std::string::npos) << kept.json;
  }
}

TEST(NormalizerTest, FindsNoAddressWhenThePayloadHasNoStringOne) {
  EventValidator validator;
  for (const char* json :
       {R"({"service":"s","level":"INFO","message":"m"})",
        R"({"service":"s","level":"INFO","message":"m","payload":{}})",
        R"({"service":"s","level":"INFO","message":"m","payload":{"ip_address":7}})"}) {
    const auto event = validator.Validate(json);
    ASSERT_TRUE(event.has_value()) << json;
    EXPECT_FALSE(Normalizer::IpAddressOf(*event).has_value()) << json;
  }
}

}  // namespace
}  // namespace lp::processor
