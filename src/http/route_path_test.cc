#include "http/route_path.h"

#include <gtest/gtest.h>

namespace lp::http {
namespace {

TEST(RoutePathTest, PlainPathsMatchOnlyThemselves) {
  EXPECT_TRUE(RoutePathMatches("/logs", "/logs"));
  EXPECT_FALSE(RoutePathMatches("/logs", "/logs/"));
  EXPECT_FALSE(RoutePathMatches("/logs", "/log"));
  EXPECT_TRUE(RoutePathMatches("/", "/"));
}

TEST(RoutePathTest, StarMatchesExactlyOneNonEmptySegment) {
  EXPECT_TRUE(RoutePathMatches("/*/_bulk", "/logs-app/_bulk"));
  EXPECT_FALSE(RoutePathMatches("/*/_bulk", "/_bulk"));
  EXPECT_FALSE(RoutePathMatches("/*/_bulk", "//_bulk"));
  EXPECT_FALSE(RoutePathMatches("/*/_bulk", "/a/b/_bulk"));
  EXPECT_FALSE(RoutePathMatches("/*/_bulk", "/a/_bulk/x"));
  EXPECT_TRUE(RoutePathMatches("/es/*/_bulk", "/es/app/_bulk"));
}

TEST(RoutePathTest, FinalDoubleStarMatchesAnyRest) {
  EXPECT_TRUE(RoutePathMatches("/_nodes/**", "/_nodes"));
  EXPECT_TRUE(RoutePathMatches("/_nodes/**", "/_nodes/"));
  EXPECT_TRUE(RoutePathMatches("/_nodes/**", "/_nodes/http/stats"));
  EXPECT_FALSE(RoutePathMatches("/_nodes/**", "/_nodesx"));
  EXPECT_FALSE(RoutePathMatches("/_nodes/**", "/other"));
}

}  // namespace
}  // namespace lp::http
