#include "app/server_flags.h"

namespace lp::app {

Result<http::ServerUrl> ServerFlags::Parse() const {
  if (certificate_file.empty() != key_file.empty()) {
    return Permanent("--cert and --key come together (a client certificate and its key)");
  }
  auto server = http::ParseServerUrl(url);
  if (!server) return server;
  if (!server->https && !certificate_file.empty()) {
    return Permanent("--cert needs an https:// --server");
  }
  server->ca_file = ca_file;
  server->certificate_file = certificate_file;
  server->key_file = key_file;
  server->token = token;
  return server;
}

}  // namespace lp::app
