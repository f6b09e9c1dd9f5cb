#include "search/logstore/document_shape.h"

#include <gtest/gtest.h>

namespace lp::search::logstore {
namespace {

std::string RoundTrip(std::string_view json, uint8_t* members = nullptr) {
  const auto stored = StoreDocument(json, 1000, "web", "ERROR", "Payment \"declined\"");
  if (members != nullptr) *members = stored.members;
  return RebuildDocument(stored.json, stored.members,
                         {.timestamp_ms = 1000,
                          .tenant = stored.tenant,
                          .service = "web",
                          .level = "ERROR",
                          .message = "Payment \"declined\"",
                          .host = stored.host});
}

TEST(DocumentShapeTest, TakesOutWhatTheColumnsHoldAndPutsItBack) {
  const std::string json =
      R"({"timestamp":"1970-01-01T00:00:01.000Z","tenant":"acme","service":"web","level":"ERROR",)"
      R"("message":"Payment \"declined\"","host":"web-1","payload":{"status":500}})";
  const auto stored = StoreDocument(json, 1000, "web", "ERROR", "Payment \"declined\"");
  EXPECT_EQ(stored.json, R"({"payload":{"status":500}})");
  EXPECT_EQ(stored.host, "web-1");
  EXPECT_EQ(stored.tenant, "acme");
  EXPECT_EQ(stored.members, kTimestampMember | kTenantMember | kServiceMember | kLevelMember |
                                kMessageMember | kHostMember);
  EXPECT_EQ(RoundTrip(json), json);
}

TEST(DocumentShapeTest, KeepsWhatTheColumnsWouldNotGiveBackExactly) {
  uint8_t members = 0;
  // A timestamp in another form, a host that is a number, a second message.
  const std::string json = R"({"timestamp":"1970-01-01T00:00:01Z","service":"web","host":7,)"
                           R"("message":"Payment \"declined\"","message":"again"})";
  const auto rebuilt = RoundTrip(json, &members);
  EXPECT_EQ(members, kServiceMember | kMessageMember);
  EXPECT_EQ(rebuilt, R"({"service":"web","message":"Payment \"declined\"",)"
                     R"("timestamp":"1970-01-01T00:00:01Z","host":7,"message":"again"})");
  EXPECT_EQ(RoundTrip("{}"), "{}");
  EXPECT_EQ(RoundTrip("not json"), "not json");
}

TEST(DocumentShapeTest, UnescapesAHostToItsColumn) {
  const auto stored = StoreDocument(R"({"host":"a\u0062c"})", 0, "", "", "");
  EXPECT_EQ(stored.host, "abc");
  EXPECT_EQ(stored.json, "{}");
}

}  // namespace
}  // namespace lp::search::logstore
