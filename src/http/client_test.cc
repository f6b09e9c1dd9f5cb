#include "http/client.h"

#include <gtest/gtest.h>

#include "http/server.h"

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
}

TEST(ParseServerUrlTest, RefusesWhatItCannotUse) {
  for (const char* url : {"https://127.0.0.1", "127.0.0.1:8081", "http://", "http://:80",
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

}  // namespace
}  // namespace lp::http
