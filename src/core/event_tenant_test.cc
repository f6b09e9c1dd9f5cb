#include "core/event_tenant.h"

#include <gtest/gtest.h>

#include "core/event_validator.h"

namespace lp {
namespace {

std::string Stamped(std::string_view event, std::string_view tenant) {
  EventValidator validator;
  const auto validated = validator.Validate(event);
  EXPECT_TRUE(validated.has_value()) << event;
  std::vector<std::string_view> members;
  std::string out = "prefix|";
  EXPECT_TRUE(AppendWithTenant(event, validated->root, tenant, members, out));
  return out.substr(7);
}

TEST(EventTenantTest, PutsTheTenantFirst) {
  EXPECT_EQ(Stamped(R"({"service":"a","level":"INFO","message":"m"})", "acme"),
            R"({"tenant":"acme","service":"a","level":"INFO","message":"m"})");
}

TEST(EventTenantTest, ReplacesWhatTheSenderWrote) {
  EXPECT_EQ(Stamped(R"({"service":"a","tenant":"other","level":"INFO","message":"m"})", "acme"),
            R"({"tenant":"acme","service":"a","level":"INFO","message":"m"})");
  EXPECT_EQ(
      Stamped(R"({"service":"a","\u0074enant":"x","level":"INFO","message":"m","tenant":1})", "t"),
      R"({"tenant":"t","service":"a","level":"INFO","message":"m"})");
}

TEST(EventTenantTest, WithoutATenantOnlyRemovesTheSenders) {
  const std::string untouched = R"({"service":"a","level":"INFO","message":"m"})";
  EXPECT_EQ(Stamped(untouched, ""), untouched);
  EXPECT_EQ(Stamped(R"({"tenant":"x","service":"a","level":"INFO","message":"m"})", ""), untouched);
}

TEST(EventTenantTest, KeepsNestedTenantFields) {
  EXPECT_EQ(
      Stamped(R"({"service":"a","level":"INFO","message":"m","payload":{"tenant":"p"}})", "acme"),
      R"({"tenant":"acme","service":"a","level":"INFO","message":"m","payload":{"tenant":"p"}})");
}

}  // namespace
}  // namespace lp
