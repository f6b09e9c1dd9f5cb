#include "http/client.h"

#include "http/curl_client.h"

namespace lp::http {

Result<ServerUrl> ParseServerUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return Permanent("server URL must start with http://, not \"" + std::string(url) + "\"");
  }
  std::string_view rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (path.ends_with('/')) path.remove_suffix(1);

  ServerUrl parsed;
  parsed.path_prefix = std::string(path);
  parsed.port = "80";
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Permanent("server URL has an unclosed '['");
    parsed.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':'))
      parsed.port = std::string(authority.substr(1));
    else if (!authority.empty())
      return Permanent("server URL has junk after the host");
  } else {
    const auto colon = authority.rfind(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) parsed.port = std::string(authority.substr(colon + 1));
  }
  if (parsed.host.empty()) return Permanent("server URL has no host: \"" + std::string(url) + "\"");
  if (parsed.port.empty() || parsed.port.find_first_not_of("0123456789") != std::string::npos) {
    return Permanent("server URL has a bad port: \"" + std::string(url) + "\"");
  }
  return parsed;
}

Result<ClientResponse> Fetch(const ServerUrl& server, std::string_view method,
                             std::string_view target, std::string_view body,
                             std::chrono::milliseconds timeout) {
  // The whole request, connecting included, is bounded by `timeout`.
  CurlClient client(CurlClientOptions{.timeout = timeout, .connect_timeout = timeout});
  const bool ipv6 = server.host.find(':') != std::string::npos;
  CurlRequest request{
      .method = method,
      .url = "http://" + (ipv6 ? "[" + server.host + "]" : server.host) + ":" + server.port +
             server.path_prefix + std::string(target),
      .headers = {"User-Agent: logpipe-cli", "Expect:"},
      .body = body,
  };
  if (!body.empty()) request.headers.emplace_back("Content-Type: application/json");
  auto response = client.Perform(request);
  if (!response) {
    return Retryable("cannot talk to logpipe at " + server.host + ":" + server.port + ": " +
                     response.error().message);
  }
  return ClientResponse{static_cast<unsigned>(response->status), std::move(response->body)};
}

}  // namespace lp::http
