#include "http/bearer_token.h"

#include <gtest/gtest.h>

namespace lp::http {
namespace {

TEST(BearerTokenTest, AllowsOnlyTheExactHeader) {
  const BearerToken token("s3cret");
  EXPECT_TRUE(token.Required());
  EXPECT_TRUE(token.Allows("Bearer s3cret"));
  for (const char* wrong : {"", "Bearer", "Bearer s3cre", "Bearer s3cret ", "bearer s3cret",
                            "Bearer S3cret", "Basic s3cret"}) {
    EXPECT_FALSE(token.Allows(wrong)) << wrong;
  }
}

TEST(BearerTokenTest, AnEmptyTokenAllowsEverything) {
  const BearerToken none;
  EXPECT_FALSE(none.Required());
  EXPECT_TRUE(none.Allows(""));
  EXPECT_TRUE(none.Allows("Bearer anything"));
}

TEST(BearerTokenTest, GuardedRoutesAnswer401WithoutTheToken) {
  const BearerToken token("s3cret");
  int handled = 0;
  const auto route = RequireToken(token, Route{"GET", "/api/x", [&](Request&, Responder respond) {
                                                 ++handled;
                                                 respond(JsonResponse(200, "{}"));
                                               }});
  Request request;
  unsigned status = 0;
  route.handler(request, [&](Response response) { status = response.status; });
  EXPECT_EQ(status, 401u);
  EXPECT_EQ(handled, 0);
  request.authorization = "Bearer s3cret";
  route.handler(request, [&](Response response) { status = response.status; });
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(handled, 1);
}

}  // namespace
}  // namespace lp::http
