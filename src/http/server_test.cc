#include "http/server.h"

// GCC 12 at -O2 reports boost::optional's storage in Beast's response parser (the test client's
// reads) as maybe uninitialized, a known false positive of that warning with boost::optional.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <future>
#include <thread>

#include "core/testing/temp_directory.h"
#include "http/server_tls.h"
#include "http/testing/test_certificates.h"

namespace lp::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using test_support::TestAuthority;

class Client {
 public:
  explicit Client(uint16_t port) : stream_(io_) {
    stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream_.expires_after(std::chrono::seconds(10));
  }

  bhttp::response<bhttp::string_body> Send(bhttp::verb method, const std::string& target,
                                           std::string body = {}) {
    bhttp::request<bhttp::string_body> request(method, target, 11);
    request.set(bhttp::field::host, "127.0.0.1");
    request.body() = std::move(body);
    request.prepare_payload();
    bhttp::write(stream_, request);
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream_, buffer_, response);
    return response;
  }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

// Writes raw bytes and reads whatever comes back until the server closes (or 10 s pass).
std::string RawExchange(uint16_t port, std::string_view bytes, bool close_write = false) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.expires_after(std::chrono::seconds(10));
  asio::write(stream.socket(), asio::buffer(bytes.data(), bytes.size()));
  if (close_write) stream.socket().shutdown(tcp::socket::shutdown_send);
  std::string received;
  char chunk[4096];
  beast::error_code error;
  while (true) {
    const size_t got = stream.socket().read_some(asio::buffer(chunk), error);
    if (error) break;
    received.append(chunk, got);
  }
  return received;
}

unsigned StatusOf(const std::string& response) {
  if (!response.starts_with("HTTP/1.1 ")) return 0;
  return static_cast<unsigned>(std::stoi(response.substr(9, 3)));
}

// A connection opened and left as it is; closed when the object goes.
class OpenConnection {
 public:
  explicit OpenConnection(uint16_t port, std::string_view first_bytes = {}) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    if (!first_bytes.empty())
      asio::write(socket_, asio::buffer(first_bytes.data(), first_bytes.size()));
  }
  // True once the server closed the connection (read returns end of file or a reset).
  bool ClosedByServerWithin(std::chrono::milliseconds deadline) {
    socket_.non_blocking(true);
    const auto until = std::chrono::steady_clock::now() + deadline;
    char byte;
    while (std::chrono::steady_clock::now() < until) {
      beast::error_code error;
      socket_.read_some(asio::buffer(&byte, 1), error);
      if (error && error != asio::error::would_block) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

class ServerTest : public testing::Test {
 protected:
  void StartServer(ServerOptions options, std::vector<Route> routes) {
    server_ = std::make_unique<Server>(std::move(options), std::move(routes), metrics_);
    ASSERT_TRUE(server_->Start().has_value());
  }

  metrics::Registry registry_;
  HttpMetrics metrics_{registry_};
  std::unique_ptr<Server> server_;
};

Route Echo() {
  return Route{"POST", "/echo", [](Request& request, Responder respond) {
                 EXPECT_GE(request.body.capacity(), request.body.size() + kBodyPadding);
                 Response response;
                 response.body = request.body;
                 respond(std::move(response));
               }};
}

TEST_F(ServerTest, ServesManyRequestsOnOneKeptAliveConnection) {
  StartServer({.name = "test"}, {Echo()});
  Client client(server_->port());
  for (int i = 0; i < 5; ++i) {
    const auto response = client.Send(bhttp::verb::post, "/echo", "body " + std::to_string(i));
    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_EQ(response.body(), "body " + std::to_string(i));
    EXPECT_TRUE(response.keep_alive());
  }
  EXPECT_EQ(metrics_.requests.WithLabels({"/echo", "200"}).Value(), 5u);
}

TEST_F(ServerTest, AnswersUnknownPathsAndMethods) {
  StartServer({.name = "test"}, {Echo()});
  Client client(server_->port());
  EXPECT_EQ(client.Send(bhttp::verb::get, "/nowhere").result_int(), 404u);
  const auto response = client.Send(bhttp::verb::get, "/echo");
  EXPECT_EQ(response.result_int(), 405u);
  EXPECT_NE(response.body().find("not allowed"), std::string::npos);
}

TEST_F(ServerTest, RefusesBodiesOverTheLimitWith413) {
  StartServer({.name = "test", .max_body_bytes = 1000}, {Echo()});
  Client client(server_->port());
  const auto response = client.Send(bhttp::verb::post, "/echo", std::string(1001, 'x'));
  EXPECT_EQ(response.result_int(), 413u);
  EXPECT_NE(response.body().find("1000-byte limit"), std::string::npos);
}

TEST_F(ServerTest, RefusesBodiesPastTheInFlightBudgetWith503) {
  std::promise<Responder> held;
  StartServer({.name = "test", .max_inflight_body_bytes = 2000},
              {Route{"POST", "/hold",
                     [&held](Request&, Responder respond) { held.set_value(std::move(respond)); }},
               Echo()});
  Client first(server_->port());
  bhttp::request<bhttp::string_body> request(bhttp::verb::post, "/hold", 11);
  request.body() = std::string(1500, 'x');
  request.prepare_payload();
  std::thread sender([&] {
    EXPECT_EQ(first.Send(bhttp::verb::post, "/hold", std::string(1500, 'x')).result_int(), 202u);
  });
  auto respond = held.get_future().get();

  Client second(server_->port());
  const auto refused = second.Send(bhttp::verb::post, "/echo", std::string(1000, 'y'));
  EXPECT_EQ(refused.result_int(), 503u);
  EXPECT_EQ(refused[bhttp::field::retry_after], "1");

  Response accepted;
  accepted.status = 202;
  respond(std::move(accepted));
  sender.join();
  Client third(server_->port());
  EXPECT_EQ(third.Send(bhttp::verb::post, "/echo", std::string(1000, 'y')).result_int(), 200u);
}

TEST_F(ServerTest, HandlersMayAnswerFromAnotherThread) {
  std::vector<std::thread> workers;
  StartServer({.name = "test"}, {Route{"GET", "/later", [&workers](Request&, Responder respond) {
                                         workers.emplace_back([respond = std::move(respond)] {
                                           Response response;
                                           response.status = 202;
                                           response.body = "later";
                                           respond(std::move(response));
                                         });
                                       }}});
  Client client(server_->port());
  const auto response = client.Send(bhttp::verb::get, "/later");
  EXPECT_EQ(response.result_int(), 202u);
  EXPECT_EQ(response.body(), "later");
  for (auto& worker : workers) worker.join();
}

// Polls a counter until it reaches `value`, for up to 30 s.
bool CountReaches(metrics::Counter& counter, uint64_t value) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (counter.Value() < value && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return counter.Value() >= value;
}

Route Get(std::string path) {
  return Route{"GET", std::move(path), [](Request&, Responder respond) {
                 respond(JsonResponse(200, R"({"status":"ok"})"));
               }};
}

TEST_F(ServerTest, AHandlerLearnsWhenItsClientLeavesBeforeTheAnswer) {
  std::mutex mutex;
  std::vector<std::pair<std::shared_ptr<const std::atomic<bool>>, Responder>> pending;
  StartServer({.name = "test"}, {Route{"GET", "/slow", [&](Request& request, Responder respond) {
                                         std::lock_guard lock(mutex);
                                         pending.emplace_back(request.client_gone,
                                                              std::move(respond));
                                       }}});
  const auto flag_of = [&](size_t request) -> std::shared_ptr<const std::atomic<bool>> {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mutex);
        if (pending.size() > request) return pending[request].first;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return nullptr;
  };
  const auto set_within = [](const std::atomic<bool>& flag, std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (!flag.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return flag.load();
  };
  constexpr std::string_view kRequest = "GET /slow HTTP/1.1\r\nHost: test\r\n\r\n";

  std::shared_ptr<const std::atomic<bool>> left;
  {
    OpenConnection client(server_->port(), kRequest);
    left = flag_of(0);
    ASSERT_NE(left, nullptr);
    EXPECT_FALSE(set_within(*left, std::chrono::milliseconds(200))) << "the client is waiting";
  }
  EXPECT_TRUE(set_within(*left, std::chrono::seconds(30))) << "the client closed";

  // A client that sends its next request before the answer is still there.
  OpenConnection pipelining(server_->port(), std::string(kRequest) + std::string(kRequest));
  const auto waiting = flag_of(1);
  ASSERT_NE(waiting, nullptr);
  EXPECT_FALSE(set_within(*waiting, std::chrono::milliseconds(200)));
  const auto answer = [&](size_t request) {
    Responder respond;
    {
      std::lock_guard lock(mutex);
      respond = pending[request].second;
    }
    respond(JsonResponse(200, "{}"));
  };
  answer(0);
  answer(1);
  ASSERT_NE(flag_of(2), nullptr) << "the pipelined request is served after the first answer";
  answer(2);
}

TEST_F(ServerTest, AbortedUploadsGiveBackTheirInFlightBudget) {
  StartServer({.name = "test",
               .max_inflight_body_bytes = 4000,
               .body_timeout = std::chrono::milliseconds(200)},
              {Echo(), Get("/healthz")});
  // A declared body that never comes: the body deadline closes it and gives its budget back.
  OpenConnection timed_out(server_->port(),
                           "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\nabc");
  EXPECT_TRUE(timed_out.ClosedByServerWithin(std::chrono::seconds(10)));
  EXPECT_TRUE(CountReaches(metrics_.timeouts.WithLabels({"body"}), 1));
  // Chunked headers and declared bodies that never come, closed by the client.
  for (int i = 0; i < 30; ++i) {
    OpenConnection aborted(server_->port(),
                           "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  }
  for (int i = 0; i < 5; ++i) {
    OpenConnection aborted(server_->port(),
                           "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\nabc");
  }
  // Sessions go once their sockets are seen closed: poll until a full-size body fits again.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  unsigned status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    Client client(server_->port());
    status = client.Send(bhttp::verb::post, "/echo", std::string(3500, 'x')).result_int();
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 200u);
}

TEST_F(ServerTest, RequestsWithoutABodyReserveNothing) {
  std::promise<Responder> held;
  StartServer({.name = "test", .max_inflight_body_bytes = 2000},
              {Route{"POST", "/hold",
                     [&held](Request&, Responder respond) { held.set_value(std::move(respond)); }},
               Get("/healthz")});
  Client first(server_->port());
  std::thread sender([&] {
    EXPECT_EQ(first.Send(bhttp::verb::post, "/hold", std::string(1900, 'x')).result_int(), 202u);
  });
  auto respond = held.get_future().get();
  Client second(server_->port());
  EXPECT_EQ(second.Send(bhttp::verb::get, "/healthz").result_int(), 200u);
  Response accepted;
  accepted.status = 202;
  respond(std::move(accepted));
  sender.join();
}

TEST_F(ServerTest, ChunkedBodiesAreCountedAsTheyArrive) {
  StartServer({.name = "test", .max_inflight_body_bytes = 1024 * 1024}, {Echo()});
  std::string request =
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (int i = 0; i < 40; ++i) request += "8000\r\n" + std::string(0x8000, 'c') + "\r\n";
  request += "0\r\n\r\n";
  // 1.25 MiB of chunks against a 1 MiB budget: refused part way, not at the header.
  const auto response = RawExchange(server_->port(), request);
  EXPECT_EQ(StatusOf(response), 503u) << response.substr(0, 200);
  Client client(server_->port());
  EXPECT_EQ(client.Send(bhttp::verb::post, "/echo", "fits").result_int(), 200u);
}

TEST_F(ServerTest, AnswersMalformedRequestsBeforeClosing) {
  StartServer({.name = "test", .max_target_bytes = 100}, {Echo(), Get("/healthz")});
  const auto port = server_->port();
  const std::string chunked =
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  struct Case {
    std::string name;
    std::string bytes;
    unsigned status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"bad chunk size", chunked + "zz\r\nabc\r\n0\r\n\r\n", 400, "chunk"},
      {"negative length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400,
       "Content-Length"},
      {"huge length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400,
       "Content-Length"},
      {"two lengths",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400,
       "Content-Length"},
      {"length and chunked",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabc\r\n0\r\n\r\n",
       400, "Transfer-Encoding"},
      {"garbage method", "G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "method"},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, "HTTP/2"},
      {"gzip transfer coding",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501,
       "Transfer-Encoding"},
      {"long target", "GET /healthz?" + std::string(200, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414,
       "target"},
      {"very long target", "GET /" + std::string(20'000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414,
       "target"},
  };
  for (const auto& test : cases) {
    const auto response = RawExchange(port, test.bytes);
    EXPECT_EQ(StatusOf(response), test.status) << test.name << ": " << response.substr(0, 300);
    EXPECT_NE(response.find(test.says), std::string::npos) << test.name << ": " << response;
    EXPECT_NE(response.find("Connection: close"), std::string::npos) << test.name;
  }
  EXPECT_EQ(metrics_.malformed_requests.Value(), cases.size());
  Client client(port);
  EXPECT_EQ(client.Send(bhttp::verb::get, "/healthz").result_int(), 200u);
}

TEST_F(ServerTest, AChunkLongerThanItsDataTimesOutAtTheBodyDeadline) {
  StartServer({.name = "test",
               .idle_timeout = std::chrono::seconds(600),
               .body_timeout = std::chrono::milliseconds(300)},
              {Echo()});
  OpenConnection stalled(server_->port(),
                         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                         "chunked\r\n\r\nffff\r\nonly a little");
  EXPECT_TRUE(stalled.ClosedByServerWithin(std::chrono::seconds(30)));
  // The socket closes as the deadline fires, a moment before the handler counts it.
  EXPECT_TRUE(CountReaches(metrics_.timeouts.WithLabels({"body"}), 1));
  EXPECT_EQ(metrics_.timeouts.WithLabels({"idle"}).Value(), 0u);
}

TEST_F(ServerTest, AHeaderTrickledInTimesOutAtTheHeaderDeadline) {
  StartServer({.name = "test",
               .idle_timeout = std::chrono::seconds(600),
               .header_timeout = std::chrono::milliseconds(300)},
              {Get("/healthz")});
  OpenConnection slow(server_->port(), "GET /healthz HTTP/1.1\r\nHo");
  EXPECT_TRUE(slow.ClosedByServerWithin(std::chrono::seconds(30)));
  EXPECT_TRUE(CountReaches(metrics_.timeouts.WithLabels({"header"}), 1));
}

TEST_F(ServerTest, IdleAndSlowConnectionsMakeRoomAtTheConnectionLimit) {
  StartServer({.name = "test", .max_connections = 8}, {Get("/healthz")});
  std::vector<std::unique_ptr<OpenConnection>> hogs;
  for (int i = 0; i < 4; ++i) hogs.push_back(std::make_unique<OpenConnection>(server_->port()));
  for (int i = 0; i < 4; ++i) {
    hogs.push_back(std::make_unique<OpenConnection>(server_->port(), "GET /healthz HTTP/1.1\r\n"));
  }
  // Twice the limit in fresh requests, each connection kept open after its answer: each one is
  // served, making room by closing the connection that waited longest without a request.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 16; ++i) {
    clients.push_back(std::make_unique<Client>(server_->port()));
    EXPECT_EQ(clients.back()->Send(bhttp::verb::get, "/healthz").result_int(), 200u) << i;
  }
  EXPECT_GE(metrics_.evicted_connections.Value(), 16u);
  EXPECT_EQ(metrics_.rejected_connections.Value(), 0u);
}

TEST_F(ServerTest, OneClientAddressCannotTakeEveryConnection) {
  std::vector<Responder> held;
  std::mutex held_mutex;
  StartServer({.name = "test", .max_connections = 100, .max_connections_per_client = 3},
              {Route{"GET", "/hold", [&](Request&, Responder respond) {
                       std::lock_guard lock(held_mutex);
                       held.push_back(std::move(respond));
                     }}});
  // Three requests held busy from 127.0.0.1: a fourth connection from it is refused.
  std::vector<std::unique_ptr<OpenConnection>> busy;
  for (int i = 0; i < 3; ++i) {
    busy.push_back(
        std::make_unique<OpenConnection>(server_->port(), "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(held_mutex);
      if (held.size() == 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  OpenConnection refused(server_->port());
  EXPECT_TRUE(refused.ClosedByServerWithin(std::chrono::seconds(10)));
  EXPECT_EQ(metrics_.rejected_connections.Value(), 1u);
  std::lock_guard lock(held_mutex);
  for (auto& respond : held) respond(JsonResponse(200, "{}"));
}

TEST_F(ServerTest, AHandlerThatThrowsAnswers500AndKeepsTheAccountsRight) {
  StartServer(
      {.name = "test", .max_inflight_body_bytes = 2000},
      {Route{"POST", "/throw", [](Request&, Responder) { throw std::runtime_error("bug"); }},
       Echo()});
  for (int i = 0; i < 3; ++i) {
    Client client(server_->port());
    const auto response = client.Send(bhttp::verb::post, "/throw", std::string(1500, 'x'));
    EXPECT_EQ(response.result_int(), 500u);
    EXPECT_NE(response.body().find("request id"), std::string::npos) << response.body();
    EXPECT_FALSE(response["X-Request-Id"].empty());
  }
  Client client(server_->port());
  EXPECT_EQ(client.Send(bhttp::verb::post, "/echo", std::string(1500, 'y')).result_int(), 200u);
  EXPECT_EQ(metrics_.handler_failures.Value(), 3u);
}

TEST_F(ServerTest, AnAnswerGivenWhileStoppingIsStillWritten) {
  std::promise<Responder> held;
  StartServer({.name = "test", .threads = 2},
              {Route{"POST", "/hold", [&held](Request&, Responder respond) {
                       held.set_value(std::move(respond));
                     }}});
  Client client(server_->port());
  std::future<unsigned> status = std::async(std::launch::async, [&] {
    return client.Send(bhttp::verb::post, "/hold", "event").result_int();
  });
  auto respond = held.get_future().get();
  // The drain closes the acceptor; the held request has no I/O outstanding while its handler
  // (an fsync, say) works, and its answer must still go out.
  const uint16_t port = server_->port();
  std::thread stopper([&] { server_->Stop(std::chrono::seconds(60)); });
  // Waits until the drain has closed the acceptor: new connections are refused.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool refused = false;
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    asio::io_context io;
    tcp::socket probe(io);
    beast::error_code error;
    probe.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), error);
    refused = error == asio::error::connection_refused;
  }
  ASSERT_TRUE(refused);
  Response accepted;
  accepted.status = 202;
  respond(std::move(accepted));
  EXPECT_EQ(status.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(status.get(), 202u);
  stopper.join();
}

struct ClientCredentials {
  std::filesystem::path trusted_ca_file;
  std::filesystem::path certificate_file{};  ///< Empty: the client presents none.
  std::filesystem::path key_file{};
  int max_version = 0;  ///< 0: any; TLS1_1_VERSION to offer only old protocols.
};

// A blocking HTTPS client that verifies the server against one CA and host name 127.0.0.1.
class TlsClient {
 public:
  TlsClient(uint16_t port, const ClientCredentials& credentials)
      : context_(ssl::context::tls_client) {
    context_.load_verify_file(credentials.trusted_ca_file.string());
    context_.set_verify_mode(ssl::verify_peer);
    if (!credentials.certificate_file.empty()) {
      context_.use_certificate_chain_file(credentials.certificate_file.string());
      context_.use_private_key_file(credentials.key_file.string(), ssl::context::pem);
    }
    if (credentials.max_version != 0) {
      // Old protocols are also below OpenSSL's default security level: lower it to offer them.
      SSL_CTX_set_security_level(context_.native_handle(), 0);
      SSL_CTX_set_min_proto_version(context_.native_handle(), TLS1_VERSION);
      SSL_CTX_set_max_proto_version(context_.native_handle(), credentials.max_version);
      SSL_CTX_set_cipher_list(context_.native_handle(), "ALL:@SECLEVEL=0");
    }
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, context_);
    stream_->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    beast::get_lowest_layer(*stream_).connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(10));
  }

  beast::error_code Handshake() {
    beast::error_code error;
    stream_->handshake(ssl::stream_base::client, error);
    return error;
  }

  /// Sends a GET and reads the answer; an error when the server refused or closed instead.
  beast::error_code Get(const std::string& target, bhttp::response<bhttp::string_body>& response) {
    bhttp::request<bhttp::string_body> request(bhttp::verb::get, target, 11);
    request.set(bhttp::field::host, "127.0.0.1");
    beast::error_code error;
    bhttp::write(*stream_, request, error);
    if (!error) bhttp::read(*stream_, buffer_, response, error);
    return error;
  }

  /// The common name of the certificate the server presented.
  std::string PeerName() {
    X509* peer = SSL_get1_peer_certificate(stream_->native_handle());
    if (peer == nullptr) return "";
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof(name));
    X509_free(peer);
    return name;
  }

 private:
  asio::io_context io_;
  ssl::context context_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
};

// Handshake and one GET: true when both worked and the answer was 200.
bool Served(uint16_t port, const ClientCredentials& credentials) {
  TlsClient client(port, credentials);
  if (client.Handshake()) return false;
  bhttp::response<bhttp::string_body> response;
  return !client.Get("/health", response) && response.result_int() == 200;
}

class ServerTlsTest : public ::testing::Test {
 protected:
  ServerTlsTest() : folder_("server_tls"), authority_("logpipe test CA") {
    std::filesystem::create_directories(folder_.path());
    authority_.WriteCertificate(Path("ca.pem"));
    authority_.Issue("server-1", Path("server.pem"), Path("server.key"));
  }

  std::filesystem::path Path(const std::string& name) const { return folder_.path() / name; }

  void StartServer(ServerTlsFiles files, ServerOptions options = {.name = "test"},
                   std::vector<Route> routes = {Get("/health")}) {
    auto loaded = ServerTls::Load(std::move(files), tls_metrics_);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    tls_ = *loaded;
    options.tls = tls_;
    server_ = std::make_unique<Server>(std::move(options), std::move(routes), metrics_);
    ASSERT_TRUE(server_->Start().has_value());
  }
  ServerTlsFiles ServerFiles() const {
    return {.certificate_file = Path("server.pem"), .key_file = Path("server.key")};
  }
  ClientCredentials TrustingClient() const { return {.trusted_ca_file = Path("ca.pem")}; }

  test_support::TempDirectory folder_;
  TestAuthority authority_;
  metrics::Registry registry_;
  HttpMetrics metrics_{registry_};
  TlsMetrics tls_metrics_{registry_};
  std::shared_ptr<ServerTls> tls_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTlsTest, ServesHttpsOnAKeptAliveConnection) {
  StartServer(ServerFiles());
  TlsClient client(server_->port(), TrustingClient());
  ASSERT_FALSE(client.Handshake());
  for (int i = 0; i < 3; ++i) {
    bhttp::response<bhttp::string_body> response;
    ASSERT_FALSE(client.Get("/health", response));
    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_EQ(response.body(), R"({"status":"ok"})");
    EXPECT_TRUE(response.keep_alive());
  }
  EXPECT_EQ(client.PeerName(), "server-1");
  EXPECT_EQ(metrics_.requests.WithLabels({"/health", "200"}).Value(), 3u);
}

TEST_F(ServerTlsTest, StreamsAChunkedBodyOverTls) {
  StartServer(ServerFiles(), {.name = "test"},
              {Route{"GET", "/stream", [](Request&, Responder respond) {
                       Response response;
                       response.content_type = "text/event-stream";
                       response.stream = [](std::shared_ptr<BodyStream> body) {
                         body->Write("data: one\n\n");
                         body->Write("data: two\n\n");
                         body->End();
                       };
                       respond(std::move(response));
                     }}});
  TlsClient client(server_->port(), TrustingClient());
  ASSERT_FALSE(client.Handshake());
  bhttp::response<bhttp::string_body> response;
  ASSERT_FALSE(client.Get("/stream", response));
  EXPECT_EQ(response.body(), "data: one\n\ndata: two\n\n");
}

TEST_F(ServerTlsTest, AnswersPlainHttpWithA400InClearText) {
  StartServer(ServerFiles());
  const std::string answer =
      RawExchange(server_->port(), "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << answer;
  EXPECT_NE(answer.find("HTTPS only"), std::string::npos) << answer;
  EXPECT_EQ(metrics_.tls_handshake_failures.WithLabels({"plaintext"}).Value(), 1u);
}

TEST_F(ServerTlsTest, RefusesProtocolsOlderThanTls12) {
  StartServer(ServerFiles());
  auto old_client = TrustingClient();
  old_client.max_version = TLS1_1_VERSION;
  TlsClient client(server_->port(), old_client);
  EXPECT_TRUE(client.Handshake());
  EXPECT_TRUE(Served(server_->port(), TrustingClient()));
}

TEST_F(ServerTlsTest, AStalledHandshakeTimesOutAtTheHeaderDeadline) {
  StartServer(ServerFiles(), {.name = "test", .header_timeout = std::chrono::milliseconds(200)});
  // The first bytes of a ClientHello record (enough to tell it is TLS), and nothing more.
  const std::string answer =
      RawExchange(server_->port(), std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  EXPECT_TRUE(answer.empty());
  // The client sees the connection closed a moment before the server counts it.
  EXPECT_TRUE(CountReaches(metrics_.tls_handshake_failures.WithLabels({"timeout"}), 1));
}

TEST_F(ServerTlsTest, MutualTlsServesOnlyClientsWithACertificateFromTheClientCa) {
  TestAuthority clients_ca("clients CA");
  clients_ca.WriteCertificate(Path("clients-ca.pem"));
  clients_ca.Issue("shipper", Path("client.pem"), Path("client.key"));
  TestAuthority stranger_ca("someone else's CA");
  stranger_ca.Issue("stranger", Path("stranger.pem"), Path("stranger.key"));
  auto files = ServerFiles();
  files.client_ca_file = Path("clients-ca.pem");
  StartServer(files);

  EXPECT_FALSE(Served(server_->port(), TrustingClient()));
  EXPECT_FALSE(Served(server_->port(), {.trusted_ca_file = Path("ca.pem"),
                                        .certificate_file = Path("stranger.pem"),
                                        .key_file = Path("stranger.key")}));
  EXPECT_TRUE(Served(server_->port(), {.trusted_ca_file = Path("ca.pem"),
                                       .certificate_file = Path("client.pem"),
                                       .key_file = Path("client.key")}));
  EXPECT_TRUE(CountReaches(metrics_.tls_handshake_failures.WithLabels({"handshake"}), 2));
}

TEST_F(ServerTlsTest, AReloadServesTheNewCertificateToNewConnectionsOnly) {
  StartServer(ServerFiles());
  TlsClient before(server_->port(), TrustingClient());
  ASSERT_FALSE(before.Handshake());

  authority_.Issue("server-2", Path("server.pem"), Path("server.key"));
  ASSERT_TRUE(tls_->Reload().has_value());
  EXPECT_EQ(tls_metrics_.reloads.WithLabels({"ok"}).Value(), 1u);

  TlsClient after(server_->port(), TrustingClient());
  ASSERT_FALSE(after.Handshake());
  EXPECT_EQ(after.PeerName(), "server-2");
  bhttp::response<bhttp::string_body> response;
  ASSERT_FALSE(before.Get("/health", response));
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(before.PeerName(), "server-1");
}

TEST_F(ServerTlsTest, AFailedReloadKeepsThePreviousCertificate) {
  StartServer(ServerFiles());
  const double expiry = tls_metrics_.certificate_expiry.Value();
  EXPECT_GT(expiry, static_cast<double>(std::time(nullptr)));
  // A new certificate whose key has not been written yet: they do not match.
  TestAuthority other("other CA");
  other.Issue("server-2", Path("server.pem"), Path("unused.key"));
  const auto reloaded = tls_->Reload();
  ASSERT_FALSE(reloaded.has_value());
  EXPECT_NE(reloaded.error().message.find("key values mismatch"), std::string::npos)
      << reloaded.error().message;
  EXPECT_EQ(tls_metrics_.reloads.WithLabels({"failed"}).Value(), 1u);
  EXPECT_EQ(tls_metrics_.certificate_expiry.Value(), expiry);

  TlsClient client(server_->port(), TrustingClient());
  ASSERT_FALSE(client.Handshake());
  EXPECT_EQ(client.PeerName(), "server-1");
}

TEST_F(ServerTlsTest, LoadErrorsNameTheFile) {
  const auto missing = ServerTls::Load(
      {.certificate_file = Path("absent.pem"), .key_file = Path("server.key")}, tls_metrics_);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("absent.pem"), std::string::npos)
      << missing.error().message;

  const auto swapped = ServerTls::Load(
      {.certificate_file = Path("server.key"), .key_file = Path("server.pem")}, tls_metrics_);
  ASSERT_FALSE(swapped.has_value());
  EXPECT_NE(swapped.error().message.find("certificate file"), std::string::npos)
      << swapped.error().message;

  const auto bad_ca = ServerTls::Load({.certificate_file = Path("server.pem"),
                                       .key_file = Path("server.key"),
                                       .client_ca_file = Path("server.key")},
                                      tls_metrics_);
  ASSERT_FALSE(bad_ca.has_value());
  EXPECT_NE(bad_ca.error().message.find("client CA file"), std::string::npos)
      << bad_ca.error().message;
}

TEST(ErrorResponseTest, EscapesTheMessageAsJson) {
  const auto response = ErrorResponse(400, "bad \"x\"\n\x01");
  EXPECT_EQ(response.body, R"({"error":"bad \"x\"\n\u0001"})");
}

}  // namespace
}  // namespace lp::http
