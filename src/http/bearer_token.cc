#include "http/bearer_token.h"

namespace lp::http {

bool BearerToken::Allows(std::string_view authorization) const {
  if (expected_.empty()) return true;
  if (authorization.size() != expected_.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < expected_.size(); ++i) {
    difference |= static_cast<unsigned char>(authorization[i] ^ expected_[i]);
  }
  return difference == 0;
}

Response UnauthorizedResponse() {
  auto response = ErrorResponse(401, "missing or wrong bearer token");
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

Route RequireToken(const BearerToken& token, Route route) {
  if (!token.Required()) return route;
  route.handler = [&token, handler = std::move(route.handler)](Request& request,
                                                               Responder respond) {
    if (!token.Allows(request.authorization)) return respond(UnauthorizedResponse());
    handler(request, std::move(respond));
  };
  return route;
}

}  // namespace lp::http
