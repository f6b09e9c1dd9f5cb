#include "http/client.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>

#include "http/curl_client.h"

namespace lp::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;

Result<ServerUrl> ParseServerUrl(std::string_view url) {
  ServerUrl parsed;
  parsed.https = url.starts_with("https://");
  if (!parsed.https && !url.starts_with("http://")) {
    return Permanent("server URL must start with http:// or https://, not \"" + std::string(url) +
                     "\"");
  }
  std::string_view rest = url.substr(url.find("://") + 3);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (path.ends_with('/')) path.remove_suffix(1);

  parsed.path_prefix = std::string(path);
  parsed.port = parsed.https ? "443" : "80";
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
  CurlClient client(CurlClientOptions{.timeout = timeout,
                                      .connect_timeout = timeout,
                                      .ca_file = server.ca_file,
                                      .certificate_file = server.certificate_file,
                                      .key_file = server.key_file});
  const bool ipv6 = server.host.find(':') != std::string::npos;
  CurlRequest request{
      .method = method,
      .url = std::string(server.https ? "https://" : "http://") +
             (ipv6 ? "[" + server.host + "]" : server.host) + ":" + server.port +
             server.path_prefix + std::string(target),
      .headers = {"User-Agent: logpipe-cli", "Expect:"},
      .body = body,
  };
  if (!body.empty()) request.headers.emplace_back("Content-Type: application/json");
  if (!server.token.empty()) request.headers.push_back("Authorization: Bearer " + server.token);
  auto response = client.Perform(request);
  if (!response) {
    return Retryable("cannot talk to logpipe at " + server.host + ":" + server.port + ": " +
                     response.error().message);
  }
  return ClientResponse{static_cast<unsigned>(response->status), std::move(response->body)};
}

namespace {

// Sends the GET on a connected (and, over TLS, handshaken) stream and hands the body to
// `on_data` as it arrives.
template <typename Stream>
unsigned ReadEventStream(Stream& stream, const ServerUrl& server, std::string_view target,
                         const std::function<bool(std::string_view)>& on_data,
                         std::string_view last_event_id) {
  bhttp::request<bhttp::empty_body> request(bhttp::verb::get,
                                            server.path_prefix + std::string(target), 11);
  request.set(bhttp::field::host, server.host);
  request.set(bhttp::field::user_agent, "logpipe-cli");
  request.set(bhttp::field::accept, "text/event-stream");
  if (!last_event_id.empty()) request.set("Last-Event-ID", last_event_id);
  if (!server.token.empty()) request.set(bhttp::field::authorization, "Bearer " + server.token);
  bhttp::write(stream, request);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  bhttp::read_header(stream, buffer, parser);
  // The server sends a keep-alive comment every 15 s; a minute of silence is a dead server.
  std::array<char, 64 * 1024> piece{};
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
    beast::error_code error;
    bhttp::read_some(stream, buffer, parser, error);
    if (error == bhttp::error::need_buffer) error = {};
    if (error) throw beast::system_error(error);
    const size_t got = piece.size() - parser.get().body().size;
    if (got > 0 && !on_data(std::string_view(piece.data(), got))) break;
  }
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  return parser.get().result_int();
}

// A client context as CurlClient's: TLS 1.2 or later, the peer verified against the server's
// CA file (or the system's CAs), the client certificate presented when there is one.
void ConfigureClientTls(ssl::context& context, const ServerUrl& server) {
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  if (server.ca_file.empty()) {
    context.set_default_verify_paths();
  } else {
    context.load_verify_file(server.ca_file);
  }
  context.set_verify_mode(ssl::verify_peer);
  if (!server.certificate_file.empty()) {
    context.use_certificate_chain_file(server.certificate_file);
    context.use_private_key_file(server.key_file, ssl::context::pem);
  }
}

}  // namespace

Result<unsigned> FetchStream(const ServerUrl& server, std::string_view target,
                             const std::function<bool(std::string_view)>& on_data,
                             std::string_view last_event_id) {
  const std::string where = server.host + ":" + server.port;
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(server.host, server.port);
    if (!server.https) {
      beast::tcp_stream stream(io);
      stream.expires_after(std::chrono::seconds(30));
      stream.connect(endpoints);
      return ReadEventStream(stream, server, target, on_data, last_event_id);
    }
    ssl::context context(ssl::context::tls_client);
    ConfigureClientTls(context, server);
    beast::ssl_stream<beast::tcp_stream> stream(io, context);
    // SNI, and the name the certificate must carry.
    if (SSL_set_tlsext_host_name(stream.native_handle(), server.host.c_str()) != 1) {
      return Permanent("cannot talk to logpipe at " + where + ": host name refused for SNI");
    }
    stream.set_verify_callback(ssl::host_name_verification(server.host));
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(ssl::stream_base::client);
    return ReadEventStream(stream, server, target, on_data, last_event_id);
  } catch (const beast::system_error& error) {
    return Retryable("cannot talk to logpipe at " + where + ": " + error.code().message());
  }
}

}  // namespace lp::http
