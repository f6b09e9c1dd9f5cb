#include "http/client.h"

#include <gtest/gtest.h>

#include "core/testing/temp_directory.h"
#include "http/server.h"
#include "http/server_tls.h"
#include "http/testing/test_certificates.h"

namespace lp::http {
namespace {

TEST(ParseServerUrlTest, SplitsHostPortAndPrefix) {
  const auto plain = ParseServerUrl("http://127.0.0.1:8081");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, "8081");
  EXPECT_EQ(plain->path_prefix, "");

  const auto prefixed = ParseServerUrl("http://[::1]:9000/logpipe/");
  ASSERT_TRUE(prefixed.has_value());
  EXPECT_EQ(prefixed->host, "::1");
  EXPECT_EQ(prefixed->port, "9000");
  EXPECT_EQ(prefixed->path_prefix, "/logpipe");

  const auto default_port = ParseServerUrl("http://localhost");
  ASSERT_TRUE(default_port.has_value());
  EXPECT_EQ(default_port->port, "80");
  EXPECT_FALSE(default_port->https);

  const auto https = ParseServerUrl("https://localhost");
  ASSERT_TRUE(https.has_value());
  EXPECT_EQ(https->port, "443");
  EXPECT_TRUE(https->https);
}

TEST(ParseServerUrlTest, RefusesWhatItCannotUse) {
  for (const char* url : {"ftp://127.0.0.1", "127.0.0.1:8081", "http://", "https://", "http://:80",
                          "http://[::1", "http://h:port", "http://h:"}) {
    EXPECT_FALSE(ParseServerUrl(url).has_value()) << url;
  }
}

TEST(FetchTest, SendsTheRequestAndReturnsStatusAndBody) {
  metrics::Registry registry;
  HttpMetrics metrics(registry);
  Server server(ServerOptions{.name = "test", .port = 0, .threads = 1},
                {Route{"POST", "/prefix/echo",
                       [](Request& request, Responder respond) {
                         Response response;
                         response.status = 201;
                         response.body = request.query + "|" + request.body;
                         respond(std::move(response));
                       }}},
                metrics);
  ASSERT_TRUE(server.Start().has_value());
  const auto url = ParseServerUrl("http://127.0.0.1:" + std::to_string(server.port()) + "/prefix");
  ASSERT_TRUE(url.has_value());
  const auto response = Fetch(*url, "POST", "/echo?a=1", "{}");
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 201u);
  EXPECT_EQ(response->body, "a=1|{}");

  const auto missing = Fetch(*url, "GET", "/nowhere");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404u);
  server.Stop(std::chrono::seconds(1));
}

TEST(FetchTest, AnUnreachableServerIsARetryableErrorNamingIt) {
  metrics::Registry registry;
  HttpMetrics metrics(registry);
  uint16_t port = 0;
  {
    Server server(ServerOptions{.name = "gone", .port = 0, .threads = 1}, {}, metrics);
    ASSERT_TRUE(server.Start().has_value());
    port = server.port();
    server.Stop(std::chrono::seconds(1));
  }
  const auto response = Fetch(ServerUrl{"127.0.0.1", std::to_string(port), ""}, "GET", "/", {},
                              std::chrono::seconds(5));
  ASSERT_FALSE(response.has_value());
  EXPECT_TRUE(response.error().retryable());
  EXPECT_NE(response.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

// The command-line client over HTTPS: a one-off request and a streamed body, each verified
// against the CA it is given.
TEST(FetchTest, SpeaksHttpsVerifiedAgainstTheCaFile) {
  test_support::TempDirectory folder("fetch_tls");
  std::filesystem::create_directories(folder.path());
  test_support::TestAuthority authority("cli CA");
  authority.WriteCertificate(folder.path() / "ca.pem");
  authority.Issue("server", folder.path() / "server.pem", folder.path() / "server.key");
  metrics::Registry registry;
  HttpMetrics metrics(registry);
  TlsMetrics tls_metrics(registry);
  auto tls = ServerTls::Load(
      {.certificate_file = folder.path() / "server.pem", .key_file = folder.path() / "server.key"},
      tls_metrics);
  ASSERT_TRUE(tls.has_value()) << tls.error().message;
  Server server(ServerOptions{.name = "test", .port = 0, .threads = 1, .tls = *tls},
                {Route{"GET", "/hello",
                       [](Request&, Responder respond) {
                         Response response;
                         response.body = "hello";
                         respond(std::move(response));
                       }},
                 Route{"GET", "/stream",
                       [](Request&, Responder respond) {
                         Response response;
                         response.stream = [](std::shared_ptr<BodyStream> body) {
                           body->Write("data: one\n\n");
                           body->End();
                         };
                         respond(std::move(response));
                       }}},
                metrics);
  ASSERT_TRUE(server.Start().has_value());
  auto url = ParseServerUrl("https://127.0.0.1:" + std::to_string(server.port()));
  ASSERT_TRUE(url.has_value());

  // The system's CAs do not know the test's.
  EXPECT_FALSE(Fetch(*url, "GET", "/hello").has_value());
  const auto untrusted = FetchStream(*url, "/stream", [](std::string_view) { return true; });
  ASSERT_FALSE(untrusted.has_value());
  EXPECT_NE(untrusted.error().message.find("certificate verify failed"), std::string::npos)
      << untrusted.error().message;

  url->ca_file = (folder.path() / "ca.pem").string();
  const auto response = Fetch(*url, "GET", "/hello");
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->body, "hello");
  std::string streamed;
  const auto status = FetchStream(*url, "/stream", [&streamed](std::string_view piece) {
    streamed.append(piece);
    return true;
  });
  ASSERT_TRUE(status.has_value()) << status.error().message;
  EXPECT_EQ(*status, 200u);
  EXPECT_EQ(streamed, "data: one\n\n");
  server.Stop(std::chrono::seconds(1));
}

}  // namespace
}  // namespace lp::http
