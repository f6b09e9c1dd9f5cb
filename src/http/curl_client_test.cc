#include "http/curl_client.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include "core/testing/temp_directory.h"
#include "http/client.h"
#include "http/server.h"
#include "http/server_tls.h"
#include "http/testing/test_certificates.h"

namespace lp::http {
namespace {

// An in-process server that answers every route with what it received.
// An in-process server that answers every route with what it received; over HTTPS when given
// TLS settings.
class EchoServer {
 public:
  explicit EchoServer(std::shared_ptr<const ServerTls> tls = nullptr)
      : metrics_(registry_),
        https_(tls != nullptr),
        server_(ServerOptions{.name = "test", .port = 0, .threads = 1, .tls = std::move(tls)},
                {Route{"GET", "/echo", Echo}, Route{"PUT", "/echo", Echo},
                 Route{"POST", "/echo", Echo}},
                metrics_) {}
  ~EchoServer() { server_.Stop(std::chrono::seconds(1)); }

  Result<void> Start() { return server_.Start(); }
  std::string Url(std::string_view host = "127.0.0.1") const {
    return std::string(https_ ? "https://" : "http://") + std::string(host) + ":" +
           std::to_string(server_.port()) + "/echo";
  }

 private:
  static void Echo(Request& request, Responder respond) {
    Response response;
    response.status = 200;
    response.body = request.method + "|" + request.content_type + "|" + request.body;
    response.headers.emplace_back("X-Amz-Meta-Count", "3");
    response.headers.emplace_back("X-Other", "no");
    respond(std::move(response));
  }

  metrics::Registry registry_;
  HttpMetrics metrics_;
  bool https_;
  Server server_;
};

TEST(CurlClientTest, SendsMethodHeadersAndBodyAndReusesTheConnection) {
  EchoServer server;
  ASSERT_TRUE(server.Start().has_value());
  CurlClient client;
  const auto first = client.Perform({.method = "POST",
                                     .url = server.Url(),
                                     .headers = {"Content-Type: application/json"},
                                     .body = "{}",
                                     .keep_headers_prefix = "x-amz-meta-"});
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "POST|application/json|{}");
  EXPECT_EQ(first->headers, (std::map<std::string, std::string>{{"x-amz-meta-count", "3"}}));
  EXPECT_FALSE(first->reused_connection);

  // A GET with a body stays a GET (request fields would make it a POST); an upload is a PUT.
  const auto get = client.Perform({.method = "GET", .url = server.Url(), .body = "q"});
  ASSERT_TRUE(get.has_value()) << get.error().message;
  EXPECT_EQ(get->body, "GET||q");
  EXPECT_TRUE(get->reused_connection);
  const auto put =
      client.Perform({.method = "PUT", .url = server.Url(), .body = "object", .upload = true});
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_EQ(put->body.substr(0, 4), "PUT|");
  EXPECT_EQ(put->body.substr(put->body.rfind('|') + 1), "object");
}

TEST(CurlClientTest, AConnectionFailureIsRetryableAndNamesTheUrl) {
  // A port that was free a moment ago: nothing listens there now.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();
  CurlClient client;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  const auto response = client.Perform({.url = url});
  ASSERT_FALSE(response.has_value());
  EXPECT_TRUE(response.error().retryable());
  EXPECT_NE(response.error().message.find(url), std::string::npos) << response.error().message;
}

// An HTTPS echo server with a certificate for localhost and 127.0.0.1 from a CA of the test's,
// and another CA that signed nothing of it.
class CurlClientTlsTest : public ::testing::Test {
 protected:
  CurlClientTlsTest() : folder_("curl_tls"), authority_("server CA"), stranger_("other CA") {
    std::filesystem::create_directories(folder_.path());
    authority_.WriteCertificate(Path("ca.pem"));
    stranger_.WriteCertificate(Path("other-ca.pem"));
  }

  // Starts the server with a certificate for `alt_names`.
  void StartServer(const std::string& alt_names = "DNS:localhost,IP:127.0.0.1") {
    authority_.Issue("server", Path("server.pem"), Path("server.key"), alt_names);
    auto tls = ServerTls::Load(
        {.certificate_file = Path("server.pem"), .key_file = Path("server.key")}, tls_metrics_);
    ASSERT_TRUE(tls.has_value()) << tls.error().message;
    server_ = std::make_unique<EchoServer>(*tls);
    ASSERT_TRUE(server_->Start().has_value());
  }

  std::string Path(const std::string& name) const { return (folder_.path() / name).string(); }

  test_support::TempDirectory folder_;
  test_support::TestAuthority authority_;
  test_support::TestAuthority stranger_;
  metrics::Registry registry_;
  TlsMetrics tls_metrics_{registry_};
  std::unique_ptr<EchoServer> server_;
};

TEST_F(CurlClientTlsTest, TrustsAServerSignedByItsCaFile) {
  StartServer();
  CurlClient client(CurlClientOptions{.ca_file = Path("ca.pem")});
  for (const auto* host : {"127.0.0.1", "localhost"}) {
    const auto response =
        client.Perform({.method = "POST", .url = server_->Url(host), .body = "x"});
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "POST||x");
  }
}

TEST_F(CurlClientTlsTest, RefusesAServerItsCaFileDidNotSignAndSaysWhy) {
  StartServer();
  CurlClient client(CurlClientOptions{.ca_file = Path("other-ca.pem")});
  const auto response = client.Perform({.url = server_->Url()});
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("certificate"), std::string::npos)
      << response.error().message;
  EXPECT_NE(response.error().message.find(server_->Url()), std::string::npos);
}

TEST_F(CurlClientTlsTest, ChecksTheHostNameTooUnlessVerificationIsOff) {
  StartServer("DNS:elsewhere.example");
  CurlClient verifying(CurlClientOptions{.ca_file = Path("ca.pem")});
  const auto refused = verifying.Perform({.url = server_->Url()});
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("host name"), std::string::npos)
      << refused.error().message;

  CurlClient trusting(CurlClientOptions{.verify_tls = false});
  const auto accepted = trusting.Perform({.url = server_->Url()});
  ASSERT_TRUE(accepted.has_value()) << accepted.error().message;
  EXPECT_EQ(accepted->status, 200);
}

// A server that accepts connections (the kernel's backlog does) but never answers.
class SilentServer {
 public:
  SilentServer() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {}
  unsigned short port() const { return acceptor_.local_endpoint().port(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

TEST(CurlClientTest, TheDeadlineBoundsARequestNobodyAnswers) {
  SilentServer silent;
  CurlClient client(CurlClientOptions{.timeout = std::chrono::milliseconds(200)});
  const auto response =
      client.Perform({.url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/"});
  ASSERT_FALSE(response.has_value());
  EXPECT_TRUE(response.error().retryable());
  EXPECT_NE(response.error().message.find("Timeout"), std::string::npos)
      << response.error().message;
}

TEST(FetchTest, TheTimeoutBoundsTheRequest) {
  SilentServer silent;
  const auto url = ParseServerUrl("http://127.0.0.1:" + std::to_string(silent.port()));
  ASSERT_TRUE(url.has_value());
  const auto response = Fetch(*url, "GET", "/api/search", {}, std::chrono::milliseconds(200));
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("Timeout"), std::string::npos)
      << response.error().message;
}

}  // namespace
}  // namespace lp::http
