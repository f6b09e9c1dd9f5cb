#include "collector/shipper_auth.h"

#include <gtest/gtest.h>

namespace lp::collector {
namespace {

TEST(ShipperAuthTest, WithoutATokenEverythingIsAllowed) {
  const ShipperAuth auth;
  EXPECT_FALSE(auth.Required());
  EXPECT_TRUE(auth.Allows(""));
}

TEST(ShipperAuthTest, AcceptsTheTokenInEachShippersForm) {
  const ShipperAuth auth("s3cret");
  EXPECT_TRUE(auth.Allows("Bearer s3cret"));
  EXPECT_TRUE(auth.Allows("Splunk s3cret"));
  EXPECT_TRUE(auth.Allows("ApiKey s3cret"));
  EXPECT_TRUE(auth.Allows("ApiKey aWQ6czNjcmV0"));         // base64("id:s3cret")
  EXPECT_TRUE(auth.Allows("Basic ZWxhc3RpYzpzM2NyZXQ="));  // base64("elastic:s3cret")
  EXPECT_TRUE(auth.Allows("bearer s3cret"));
}

TEST(ShipperAuthTest, RefusesAnythingElse) {
  const ShipperAuth auth("s3cret");
  EXPECT_FALSE(auth.Allows(""));
  EXPECT_FALSE(auth.Allows("s3cret"));
  EXPECT_FALSE(auth.Allows("Bearer s3cre"));
  EXPECT_FALSE(auth.Allows("Bearer s3cret!"));
  EXPECT_FALSE(auth.Allows("Digest s3cret"));
  EXPECT_FALSE(auth.Allows("Basic ZWxhc3RpYzp3cm9uZw=="));  // elastic:wrong
  EXPECT_FALSE(auth.Allows("Basic czNjcmV0"));              // no colon
  EXPECT_FALSE(auth.Allows("Basic %%%%"));
}

}  // namespace
}  // namespace lp::collector
