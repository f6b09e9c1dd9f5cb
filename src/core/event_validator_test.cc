#include "core/event_validator.h"

#include <gtest/gtest.h>

namespace lp {
namespace {

constexpr const char* kSeedEvent =
    R"({"timestamp":"2025-10-30T12:34:56.789Z","service":"webapp-frontend","level":"INFO",)"
    R"("message":"User logged in successfully","trace_id":"trace-abc123","request_id":"req-xyz789",)"
    R"("host":"app-node-1","payload":{"user_id":"user-9876","ip_address":"8.8.8.8","user_agent":"x"},)"
    R"("labels":{"env":"production","region":"ap-south-1"}})";

std::string Nested(int depth) {
  // One event object plus depth-1 nested objects under "payload".
  std::string json = R"({"service":"s","level":"INFO","message":"m","payload":)";
  for (int i = 2; i < depth; ++i) json += R"({"a":)";
  json += "{}";
  for (int i = 2; i < depth; ++i) json += "}";
  json += "}";
  return json;
}

TEST(EventValidatorTest, AcceptsTheSeedEvent) {
  EventValidator validator;
  const auto event = validator.Validate(kSeedEvent);
  ASSERT_TRUE(event.has_value()) << event.error().message;
  EXPECT_EQ(event->service, "webapp-frontend");
  EXPECT_EQ(event->level, Level::kInfo);
  EXPECT_EQ(event->timestamp, 1761827696789);
}

struct ValidCase {
  const char* name;
  std::string json;
};

class ValidEventTest : public testing::TestWithParam<ValidCase> {};

TEST_P(ValidEventTest, IsAccepted) {
  EventValidator validator;
  const auto event = validator.Validate(GetParam().json);
  EXPECT_TRUE(event.has_value()) << event.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ValidEventTest,
    testing::Values(
        ValidCase{"MinimalFields", R"({"service":"a","level":"info","message":""})"},
        ValidCase{"NoTimestamp", R"({"service":"a","level":"DEBUG","message":"m"})"},
        ValidCase{"WarningAlias", R"({"service":"a","level":"Warning","message":"m"})"},
        ValidCase{"CriticalAlias", R"({"service":"a","level":"critical","message":"m"})"},
        ValidCase{
            "OffsetTimestamp",
            R"({"service":"a","level":"INFO","message":"m","timestamp":"2025-01-01T01:00:00+01:00"})"},
        ValidCase{"UnknownFieldsKept",
                  R"({"service":"a","level":"INFO","message":"m","extra":[1,2,{"x":null}]})"},
        ValidCase{"EmptyLabels", R"({"service":"a","level":"INFO","message":"m","labels":{}})"},
        ValidCase{"NestedPayload",
                  R"({"service":"a","level":"INFO","message":"m","payload":{"a":{"b":[1]}}})"},
        ValidCase{"UnicodeMessage",
                  R"({"service":"a","level":"INFO","message":"h\u00e9llo \u2603 é"})"},
        ValidCase{"PrettyPrinted",
                  "{\n  \"service\": \"a\",\n  \"level\": \"INFO\",\n  \"message\": \"m\"\n}"},
        ValidCase{"DepthAtLimit", Nested(64)},
        ValidCase{"IntegersPast64Bits",
                  R"({"service":"a","level":"INFO","message":"m","payload":)"
                  R"({"id":123456789012345678901234567890,"neg":-99999999999999999999}})"},
        ValidCase{"NumbersPastDouble",
                  R"({"service":"a","level":"INFO","message":"m","payload":)"
                  R"({"huge":1e999,"tiny":-1E+999,"small":1e-999,"list":[1.5e400]}})"},
        ValidCase{"LargestIntegers", R"({"service":"a","level":"INFO","message":"m","payload":)"
                                     R"({"u":18446744073709551615,"i":-9223372036854775808}})"},
        ValidCase{"BigNumberBesideStringsThatLookLikeNumbers",
                  R"({"service":"a","level":"INFO","message":"1e999 \" 123456789012345678901",)"
                  R"("payload":{"n":123456789012345678901}})"},
        ValidCase{"SurrogatePair",
                  R"({"service":"a","level":"INFO","message":"smile \ud83d\ude00"})"}),
    [](const auto& info) { return info.param.name; });

struct InvalidCase {
  const char* name;
  std::string json;
  const char* expected_message;
};

class InvalidEventTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidEventTest, IsRejectedWithSpecificMessage) {
  EventValidator validator;
  const auto event = validator.Validate(GetParam().json);
  ASSERT_FALSE(event.has_value());
  EXPECT_EQ(event.error().error_class, ErrorClass::kPermanent);
  EXPECT_NE(event.error().message.find(GetParam().expected_message), std::string::npos)
      << event.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, InvalidEventTest,
    testing::Values(
        InvalidCase{"NotAnObjectArray", "[1,2]", "event must be a JSON object, not an array"},
        InvalidCase{"NotAnObjectString", R"("text")", "event must be a JSON object, not a string"},
        InvalidCase{"NotAnObjectNumber", "42", "not a number"},
        InvalidCase{"MissingService", R"({"level":"INFO","message":"m"})",
                    "missing required field \"service\""},
        InvalidCase{"EmptyService", R"({"service":"","level":"INFO","message":"m"})",
                    "field \"service\" must not be empty"},
        InvalidCase{"ServiceNotString", R"({"service":7,"level":"INFO","message":"m"})",
                    "field \"service\" must be a string, not a number"},
        InvalidCase{"MissingLevel", R"({"service":"a","message":"m"})",
                    "missing required field \"level\""},
        InvalidCase{"LevelNotString", R"({"service":"a","level":3,"message":"m"})",
                    "field \"level\" must be a string"},
        InvalidCase{"UnknownLevel", R"({"service":"a","level":"LOUD","message":"m"})",
                    "field \"level\" has unknown value \"LOUD\""},
        InvalidCase{"MissingMessage", R"({"service":"a","level":"INFO"})",
                    "missing required field \"message\""},
        InvalidCase{"MessageNotString", R"({"service":"a","level":"INFO","message":{"x":1}})",
                    "field \"message\" must be a string, not an object"},
        InvalidCase{"TimestampNotString",
                    R"({"service":"a","level":"INFO","message":"m","timestamp":1761827696})",
                    "field \"timestamp\" must be an RFC 3339 string"},
        InvalidCase{"TimestampInvalid",
                    R"({"service":"a","level":"INFO","message":"m","timestamp":"30/10/2025"})",
                    "field \"timestamp\" is not an RFC 3339 time: \"30/10/2025\""},
        InvalidCase{"TraceIdNotString",
                    R"({"service":"a","level":"INFO","message":"m","trace_id":1})",
                    "field \"trace_id\" must be a string"},
        InvalidCase{"RequestIdNotString",
                    R"({"service":"a","level":"INFO","message":"m","request_id":[]})",
                    "field \"request_id\" must be a string"},
        InvalidCase{"HostNotString", R"({"service":"a","level":"INFO","message":"m","host":null})",
                    "field \"host\" must be a string, not null"},
        InvalidCase{"PayloadNotObject",
                    R"({"service":"a","level":"INFO","message":"m","payload":"x"})",
                    "field \"payload\" must be an object"},
        InvalidCase{"LabelsNotObject",
                    R"({"service":"a","level":"INFO","message":"m","labels":[]})",
                    "field \"labels\" must be an object"},
        InvalidCase{"LabelValueNotString",
                    R"({"service":"a","level":"INFO","message":"m","labels":{"env":1}})",
                    "\"labels.env\" is a number"},
        InvalidCase{"TruncatedJson", R"({"service":"a","level":"INFO","mess)", "invalid JSON"},
        InvalidCase{"TrailingGarbage", R"({"service":"a","level":"INFO","message":"m"} x)",
                    "invalid JSON"},
        InvalidCase{"InvalidUtf8",
                    "{\"service\":\"a\",\"level\":\"INFO\",\"message\":\"\xff\xfe\"}",
                    "invalid UTF-8"},
        InvalidCase{"TooDeep", Nested(65), "nesting deeper than 64 levels"},
        InvalidCase{"Empty", "", "empty event"},
        InvalidCase{"LoneHighSurrogate",
                    R"({"service":"a","level":"INFO","message":"bad \ud800 here"})",
                    "the escape \\ud800 is half of a UTF-16 surrogate pair"},
        InvalidCase{"LoneLowSurrogate", R"({"service":"a","level":"INFO","message":"\uDC01"})",
                    "the escape \\uDC01 is half of a UTF-16 surrogate pair"},
        InvalidCase{"MalformedNumber", R"({"service":"a","level":"INFO","message":"m","n":01})",
                    "invalid JSON"},
        InvalidCase{"DuplicateKnownField",
                    R"({"service":"a","level":"INFO","message":"m","service":"b"})",
                    "field \"service\" appears twice"}),
    [](const auto& info) { return info.param.name; });

TEST(EventValidatorTest, RejectsEventsOverTheSizeLimit) {
  EventValidator validator(EventLimits{.max_event_bytes = 100, .max_depth = 64});
  const std::string big =
      R"({"service":"a","level":"INFO","message":")" + std::string(100, 'x') + "\"}";
  const auto event = validator.Validate(big);
  ASSERT_FALSE(event.has_value());
  EXPECT_NE(event.error().message.find("over the 100-byte limit"), std::string::npos);
}

}  // namespace
}  // namespace lp
