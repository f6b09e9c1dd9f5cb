#pragma once

#include <string>
#include <string_view>

#include "http/server.h"

namespace lp::http {

/// A shared secret that requests carry as `Authorization: Bearer <token>`. Empty: every
/// request is allowed. Compared in constant time, so it cannot be guessed byte by byte from
/// response times. Immutable, so any thread may use it.
class BearerToken {
 public:
  BearerToken() = default;
  explicit BearerToken(std::string token) : expected_(token.empty() ? "" : "Bearer " + token) {}

  [[nodiscard]] bool Required() const { return !expected_.empty(); }
  [[nodiscard]] bool Allows(std::string_view authorization) const;

 private:
  std::string expected_;
};

/// The 401 for a request without the right token.
[[nodiscard]] Response UnauthorizedResponse();

/// `route` answering 401 unless the request carries `token` (which must outlive the route).
[[nodiscard]] Route RequireToken(const BearerToken& token, Route route);

}  // namespace lp::http
