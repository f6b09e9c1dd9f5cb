#include "api/web_ui.h"

#include <gtest/gtest.h>

#include "api/web_assets.h"

namespace lp::api {
namespace {

http::Response Get(const std::vector<http::Route>& routes, const std::string& path,
                   const std::string& accept) {
  for (const auto& route : routes) {
    if (route.path != path) continue;
    http::Request request;
    request.method = "GET";
    request.path = path;
    request.accept = accept;
    http::Response answer;
    route.handler(request, [&](http::Response response) { answer = std::move(response); });
    return answer;
  }
  http::Response none;
  none.status = 0;
  return none;
}

std::string Header(const http::Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(WebUiTest, BrowsersGetThePageNamingItsHashedAssets) {
  const auto routes = WebUiRoutes(AnswerNoPage);
  const auto page = Get(routes, "/", "text/html,application/xhtml+xml,*/*;q=0.8");
  EXPECT_EQ(page.status, 200u);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(page, "Cache-Control"), "no-cache");
  const auto assets = WebAssets();
  ASSERT_EQ(assets.size(), 3u);
  for (const auto& asset : assets.subspan(1)) {
    EXPECT_NE(page.body.find(std::string(asset.path)), std::string::npos) << asset.path;
    const auto served = Get(routes, std::string(asset.path), "*/*");
    EXPECT_EQ(served.status, 200u);
    EXPECT_EQ(served.body, asset.body);
    EXPECT_EQ(Header(served, "Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_FALSE(served.body.empty());
  }
}

TEST(WebUiTest, OtherClientsOfTheRootGetTheHook) {
  const auto routes = WebUiRoutes(AnswerNoPage);
  for (const std::string accept : {"", "application/json", "*/*"}) {
    const auto answer = Get(routes, "/", accept);
    EXPECT_EQ(answer.status, 404u) << accept;
    EXPECT_EQ(answer.body, "{\"error\":\"no such path: /\"}");
  }
  bool called = false;
  const auto hooked = WebUiRoutes([&](http::Request&, http::Responder respond) {
    called = true;
    respond(http::JsonResponse(200, "{}"));
  });
  EXPECT_EQ(Get(hooked, "/", "application/json").status, 200u);
  EXPECT_TRUE(called);
}

}  // namespace
}  // namespace lp::api
