#include "api/web_ui.h"

#include "api/web_assets.h"

namespace lp::api {
namespace {

http::Response AssetResponse(const WebAsset& asset, const char* cache_control) {
  http::Response response{.status = 200,
                          .content_type = std::string(asset.content_type),
                          .body = std::string(asset.body),
                          .headers = {}};
  response.headers.emplace_back("Cache-Control", cache_control);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace

void AnswerNoPage(http::Request& request, http::Responder respond) {
  respond(http::ErrorResponse(404, "no such path: " + request.path));
}

std::vector<http::Route> WebUiRoutes(http::Handler non_html_root) {
  const auto assets = WebAssets();
  std::vector<http::Route> routes;
  const WebAsset& page = assets.front();
  routes.push_back(http::Route{
      "GET", "/", [&page, non_html_root](http::Request& request, http::Responder respond) {
        if (request.accept.find("text/html") == std::string::npos) {
          return non_html_root(request, std::move(respond));
        }
        // The page names the current hashed assets, so it is revalidated on every load.
        auto response = AssetResponse(page, "no-cache");
        response.headers.emplace_back(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
        respond(std::move(response));
      }});
  for (const auto& asset : assets.subspan(1)) {
    routes.push_back(http::Route{
        "GET", std::string(asset.path), [&asset](http::Request&, http::Responder respond) {
          respond(AssetResponse(asset, "public, max-age=31536000, immutable"));
        }});
  }
  return routes;
}

}  // namespace lp::api
