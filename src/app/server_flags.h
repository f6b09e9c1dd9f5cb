#pragma once

#include <string>

#include "core/result.h"
#include "http/client.h"

namespace lp::app {

/// How a command-line tool reaches a running instance: its URL, the CA verifying an https://
/// one, a client certificate for one requiring them (mutual TLS), and the token.
struct ServerFlags {
  std::string url = "http://127.0.0.1:8081";
  std::string ca_file;           ///< Empty: the system's CAs.
  std::string certificate_file;  ///< With key_file, presented to a server asking for one.
  std::string key_file;
  std::string token;  ///< Sent as `Authorization: Bearer`; empty: none.

  /// The URL parsed and the rest attached; an error names a certificate without its key.
  [[nodiscard]] Result<http::ServerUrl> Parse() const;
};

}  // namespace lp::app
