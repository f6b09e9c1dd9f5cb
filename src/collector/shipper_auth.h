#pragma once

#include <string>
#include <string_view>

namespace lp::collector {

/// The shared secret (COLLECTOR_AUTH_TOKEN) that every ingest protocol requires when it is set,
/// in each shipper's own form of the Authorization header:
///   `Bearer <token>` (POST /logs, OTLP, Loki), `Splunk <token>` (HEC),
///   `ApiKey <token>` or `ApiKey base64(<id>:<token>)` (Elasticsearch API keys), and
///   `Basic base64(<any user>:<token>)` (Elasticsearch and Loki outputs with a user/password).
/// The one place where ingest authentication is decided, until scoped tokens replace it.
/// Empty token: every request is allowed. Compared in constant time. Immutable, so any thread
/// may use it.
class ShipperAuth {
 public:
  ShipperAuth() = default;
  explicit ShipperAuth(std::string token) : token_(std::move(token)) {}

  [[nodiscard]] bool Required() const { return !token_.empty(); }
  [[nodiscard]] bool Allows(std::string_view authorization) const;

 private:
  [[nodiscard]] bool Matches(std::string_view candidate) const;

  std::string token_;
};

}  // namespace lp::collector
