#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lp::http {

/// Where a logpipe instance listens: `http(s)://host:port` with an optional path prefix.
struct ServerUrl {
  std::string host;
  std::string port;
  std::string path_prefix;  ///< Without a trailing '/'.
  bool https = false;       ///< Over TLS (1.2+), the certificate and host name verified.
  std::string ca_file{};  ///< PEM CA bundle an https server is verified with; empty: the system's.
  /// For servers requiring client certificates (mutual TLS): PEM certificate (then its
  /// intermediates) and its unencrypted PEM key; both or neither.
  std::string certificate_file{};
  std::string key_file{};
  std::string token{};  ///< Sent as `Authorization: Bearer` when not empty.
};

/// Parses `http(s)://host[:port][/prefix]` (IPv6 hosts in brackets; default port 80 or 443).
[[nodiscard]] Result<ServerUrl> ParseServerUrl(std::string_view url);

struct ClientResponse {
  unsigned status = 0;
  std::string body;
};

/// One blocking request on a fresh connection (CurlClient), for the command-line tools. `target`
/// is the path and query after the prefix; `timeout` bounds the whole request, connecting
/// included. Connection problems and timeouts are retryable errors naming the server; any HTTP
/// status is a response.
[[nodiscard]] Result<ClientResponse> Fetch(
    const ServerUrl& server, std::string_view method, std::string_view target,
    std::string_view body = {}, std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// A GET whose body is read as it arrives (Server-Sent Events), on a fresh connection with no
/// time limit once the head arrived: `on_data` gets each piece of the body as read, and stops
/// the reading by returning false. Returns the status (a non-200 answer's body goes to on_data
/// too). `last_event_id`, when given, is sent as `Last-Event-ID`.
[[nodiscard]] Result<unsigned> FetchStream(const ServerUrl& server, std::string_view target,
                                           const std::function<bool(std::string_view)>& on_data,
                                           std::string_view last_event_id = {});

}  // namespace lp::http
