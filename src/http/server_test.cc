#include "http/server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>

namespace lp::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

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

TEST(ErrorResponseTest, EscapesTheMessageAsJson) {
  const auto response = ErrorResponse(400, "bad \"x\"\n\x01");
  EXPECT_EQ(response.body, R"({"error":"bad \"x\"\n\u0001"})");
}

}  // namespace
}  // namespace lp::http
