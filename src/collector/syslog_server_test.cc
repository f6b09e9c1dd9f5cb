#include "collector/syslog_server.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/testing/temp_directory.h"
#include "http/server_tls.h"
#include "http/testing/test_certificates.h"

namespace lp::collector {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;

constexpr auto kDeadline = std::chrono::seconds(30);

/// Records what the server stores, from any of its threads; refuses (retryably) while told to.
class ConcurrentProducer : public queue::Queue {
 public:
  Result<std::unique_ptr<queue::Consumer>> Subscribe(std::string, std::string) override {
    return Permanent("no consumers");
  }
  Result<void> CheckReady() override { return {}; }

  void Produce(std::string_view, std::span<const queue::OutgoingRecord> records,
               queue::ProduceCallback done) override {
    bool refused = false;
    {
      std::lock_guard lock(mutex_);
      refused = refusing_;
      if (refused) {
        ++refusals_;
        refused_.notify_all();
      } else {
        for (const auto& record : records) values_.emplace_back(record.value);
        stored_.notify_all();
      }
    }
    if (refused) return done(Retryable("queue full"));
    done({});
  }

  void SetRefusing(bool refusing) {
    std::lock_guard lock(mutex_);
    refusing_ = refusing;
  }
  /// Waits until `count` events are stored; what was stored by then.
  std::vector<std::string> WaitForValues(size_t count) {
    std::unique_lock lock(mutex_);
    stored_.wait_for(lock, kDeadline, [&] { return values_.size() >= count; });
    return values_;
  }
  bool WaitForRefusals(size_t count) {
    std::unique_lock lock(mutex_);
    return refused_.wait_for(lock, kDeadline, [&] { return refusals_ >= count; });
  }
  size_t stored() {
    std::lock_guard lock(mutex_);
    return values_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable stored_;
  std::condition_variable refused_;
  std::vector<std::string> values_;
  size_t refusals_ = 0;
  bool refusing_ = false;
};

std::string OctetCounted(const std::string& message) {
  return std::to_string(message.size()) + " " + message;
}

// The messages "<app> <n>" for n in [0, count), RFC 5424 with octet counting.
std::string Messages(const std::string& app, int count) {
  std::string stream;
  for (int n = 0; n < count; ++n) {
    stream += OctetCounted("<14>1 2026-12-02T10:00:00Z host " + app + " - - - " + app + " " +
                           std::to_string(n));
  }
  return stream;
}

void Send(uint16_t port, const std::string& bytes) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(bytes));
  socket.shutdown(tcp::socket::shutdown_send);
}

// Sends `bytes` and reads until the server closes the connection (what it answers is dropped).
void SendUntilClosed(uint16_t port, const std::string& bytes) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(bytes));
  char answer[256];
  boost::system::error_code error;
  while (!error) socket.read_some(asio::buffer(answer), error);
}

size_t Containing(const std::vector<std::string>& values, const std::string& text) {
  size_t found = 0;
  for (const auto& value : values) found += value.find(text) != std::string::npos ? 1 : 0;
  return found;
}

class SyslogServerTest : public testing::Test {
 protected:
  SyslogServerTest() : folder_("syslog_server"), authority_("syslog test CA") {
    std::filesystem::create_directories(folder_.path());
    authority_.WriteCertificate(Path("ca.pem"));
    authority_.Issue("syslog-server", Path("server.pem"), Path("server.key"));
  }

  std::filesystem::path Path(const std::string& name) const { return folder_.path() / name; }

  SyslogServer::Ports Start(SyslogOptions options) {
    server_ = std::make_unique<SyslogServer>(std::move(options), pipeline_, registry_);
    auto ports = server_->Start();
    EXPECT_TRUE(ports.has_value()) << ports.error().message;
    return ports.value_or(SyslogServer::Ports{});
  }

  std::shared_ptr<http::ServerTls> LoadTls(http::ServerTlsFiles files) {
    auto loaded = http::ServerTls::Load(std::move(files), tls_metrics_);
    EXPECT_TRUE(loaded.has_value()) << loaded.error().message;
    return loaded.value_or(nullptr);
  }
  http::ServerTlsFiles ServerFiles() const {
    return {.certificate_file = Path("server.pem"), .key_file = Path("server.key")};
  }

  // A series' value as /metrics shows it; 0 when it has none yet.
  uint64_t Metric(const std::string& series) {
    const std::string text = registry_.RenderText();
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return 0;
    return std::stoull(text.substr(at + series.size() + 2));
  }
  uint64_t HandshakeFailures(const std::string& reason) {
    return Metric("syslog_tls_handshake_failures_total{reason=\"" + reason + "\"}");
  }

  test_support::TempDirectory folder_;
  test_support::TestAuthority authority_;
  metrics::Registry registry_;
  CollectorMetrics metrics_{registry_};
  http::TlsMetrics tls_metrics_{registry_};
  ConcurrentProducer producer_;
  IngestPipeline pipeline_{IngestOptions{}, producer_, metrics_};
  std::unique_ptr<SyslogServer> server_;
};

TEST_F(SyslogServerTest, StoresEveryMessageOfConnectionsServedInParallel) {
  const auto ports = Start({.port = 0, .threads = 4});
  ASSERT_TRUE(ports.plain);
  EXPECT_FALSE(ports.tls);
  constexpr int kConnections = 8;
  constexpr int kMessages = 5000;  // several batches each
  std::vector<std::thread> senders;
  for (int c = 0; c < kConnections; ++c) {
    senders.emplace_back(
        [port = *ports.plain, c] { Send(port, Messages("app" + std::to_string(c), kMessages)); });
  }
  for (auto& sender : senders) sender.join();
  const auto values = producer_.WaitForValues(kConnections * kMessages);
  ASSERT_EQ(values.size(), size_t{kConnections * kMessages});
  for (int c = 0; c < kConnections; ++c) {
    const std::string app = "app" + std::to_string(c);
    EXPECT_EQ(Containing(values, "\"service\":\"" + app + "\""), size_t{kMessages}) << app;
  }
  // Each connection's messages are stored in the order sent.
  std::vector<int> next(kConnections, 0);
  for (const auto& value : values) {
    const auto at = value.find("\"message\":\"app");
    ASSERT_NE(at, std::string::npos) << value;
    const int c = std::stoi(value.substr(at + 14));
    const int n = std::stoi(value.substr(value.find(' ', at) + 1));
    EXPECT_EQ(n, next[c]++) << value;
  }
  EXPECT_EQ(metrics_.ForProtocol("syslog").logs_produced.Value(),
            uint64_t{kConnections * kMessages});
}

TEST_F(SyslogServerTest, KeepsABatchTheQueueRefusedAndStoresItOnceTheQueueTakesIt) {
  const auto ports = Start({.port = 0, .threads = 2});
  producer_.SetRefusing(true);
  constexpr int kMessages = 3000;
  std::thread sender([port = *ports.plain] { Send(port, Messages("held", kMessages)); });
  // Refused again after a backoff: the batch is kept, and the rest waits in the socket.
  ASSERT_TRUE(producer_.WaitForRefusals(2));
  EXPECT_EQ(producer_.stored(), 0u);
  producer_.SetRefusing(false);
  sender.join();
  const auto values = producer_.WaitForValues(kMessages);
  EXPECT_EQ(values.size(), size_t{kMessages});
  EXPECT_EQ(Metric("syslog_messages_dropped_total{transport=\"tcp\",reason=\"not_stored\"}"), 0u);
}

// A blocking syslog-over-TLS sender (OpenSSL through Asio) that verifies the server against one
// CA and the host name 127.0.0.1.
class TlsSender {
 public:
  TlsSender(uint16_t port, const std::filesystem::path& trusted_ca_file,
            const std::filesystem::path& certificate_file = {},
            const std::filesystem::path& key_file = {})
      : context_(ssl::context::tls_client) {
    context_.load_verify_file(trusted_ca_file.string());
    context_.set_verify_mode(ssl::verify_peer);
    if (!certificate_file.empty()) {
      context_.use_certificate_chain_file(certificate_file.string());
      context_.use_private_key_file(key_file.string(), ssl::context::pem);
    }
    // Made once the context is complete: a session takes the context's settings when made.
    stream_.emplace(io_, context_);
    stream_->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    stream_->lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  boost::system::error_code Handshake() {
    boost::system::error_code error;
    stream_->handshake(ssl::stream_base::client, error);
    return error;
  }

  /// Sends `bytes`, then closes the session (close_notify) and waits for the server's, which
  /// it sends once what came before is stored.
  boost::system::error_code SendAndClose(const std::string& bytes) {
    boost::system::error_code error;
    asio::write(*stream_, asio::buffer(bytes), error);
    if (!error) stream_->shutdown(error);
    return error;
  }

  /// Sends `bytes`, then ends the TCP connection without a close_notify (a FIN: closing with
  /// the server's session tickets unread would reset it, and the kernel would drop what the
  /// server had not read yet).
  void SendAndCut(const std::string& bytes) {
    asio::write(*stream_, asio::buffer(bytes));
    stream_->lowest_layer().shutdown(tcp::socket::shutdown_send);
  }

  /// Waits for the server to close the connection, as it does once the handshake failed on
  /// its side (after its alert, which is read and dropped).
  void WaitUntilClosed() {
    char answer[256];
    boost::system::error_code error;
    while (!error) stream_->next_layer().read_some(asio::buffer(answer), error);
  }

 private:
  asio::io_context io_;
  ssl::context context_;
  std::optional<ssl::stream<tcp::socket>> stream_;
};

TEST_F(SyslogServerTest, StoresOctetCountedMessagesOverTls) {
  const auto ports = Start({.tls_port = 0, .tls = LoadTls(ServerFiles()), .threads = 2});
  ASSERT_TRUE(ports.tls);
  EXPECT_FALSE(ports.plain);
  TlsSender sender(*ports.tls, Path("ca.pem"));
  ASSERT_FALSE(sender.Handshake());
  // RFC 5425's octet counting, and a line-framed message after it on the same connection.
  ASSERT_FALSE(sender.SendAndClose(Messages("secure", 2500) +
                                   "<11>1 - host lines - - - framed by a line feed\n"));
  const auto values = producer_.WaitForValues(2501);
  ASSERT_EQ(values.size(), 2501u);
  EXPECT_EQ(Containing(values, "\"service\":\"secure\""), 2500u);
  EXPECT_EQ(Containing(values, "\"message\":\"framed by a line feed\""), 1u);
  EXPECT_EQ(Containing(values, "\"level\":\"ERROR\""), 1u);
}

TEST_F(SyslogServerTest, StoresTheWholeMessagesOfATlsConnectionCutWithoutCloseNotify) {
  const auto ports = Start({.tls_port = 0, .tls = LoadTls(ServerFiles())});
  TlsSender sender(*ports.tls, Path("ca.pem"));
  ASSERT_FALSE(sender.Handshake());
  sender.SendAndCut(Messages("cut", 1500) + "<14>1 - host cut - - - half a li");
  const auto values = producer_.WaitForValues(1500);
  EXPECT_EQ(Containing(values, "\"service\":\"cut\""), 1500u);
}

TEST_F(SyslogServerTest, ClientWithoutTheCaRefusesTheServer) {
  const auto ports = Start({.tls_port = 0, .tls = LoadTls(ServerFiles())});
  test_support::TestAuthority other("someone else's CA");
  other.WriteCertificate(Path("other-ca.pem"));
  TlsSender sender(*ports.tls, Path("other-ca.pem"));
  const auto error = sender.Handshake();
  ASSERT_TRUE(error.failed());
  EXPECT_EQ(error.category(), asio::error::get_ssl_category()) << error.message();
  EXPECT_EQ(producer_.stored(), 0u);
}

TEST_F(SyslogServerTest, PlainSyslogOnTheTlsPortIsCountedAndDropped) {
  const auto ports = Start({.port = 0, .tls_port = 0, .tls = LoadTls(ServerFiles())});
  ASSERT_TRUE(ports.plain && ports.tls && *ports.plain != *ports.tls);
  // Counted before the server closes the connection.
  SendUntilClosed(*ports.tls, Messages("cleartext", 3));
  EXPECT_EQ(HandshakeFailures("handshake"), 1u);
  // The plain port beside it still serves clear text.
  Send(*ports.plain, Messages("beside", 1));
  const auto values = producer_.WaitForValues(1);
  EXPECT_EQ(Containing(values, "cleartext"), 0u);
  EXPECT_EQ(Containing(values, "\"service\":\"beside\""), 1u);
}

TEST_F(SyslogServerTest, MutualTlsRefusesASenderWithoutACertificateAndServesOneWithIt) {
  test_support::TestAuthority clients("syslog clients CA");
  clients.WriteCertificate(Path("clients-ca.pem"));
  clients.Issue("relay-1", Path("relay.pem"), Path("relay.key"));
  auto files = ServerFiles();
  files.client_ca_file = Path("clients-ca.pem");
  const auto ports = Start({.tls_port = 0, .tls = LoadTls(files)});

  TlsSender anonymous(*ports.tls, Path("ca.pem"));
  // TLS 1.3 finishes the client's side of the handshake before the server checked it: the
  // refusal shows as the server closing.
  anonymous.Handshake();
  anonymous.WaitUntilClosed();
  EXPECT_EQ(HandshakeFailures("handshake"), 1u);

  TlsSender relay(*ports.tls, Path("ca.pem"), Path("relay.pem"), Path("relay.key"));
  ASSERT_FALSE(relay.Handshake());
  ASSERT_FALSE(relay.SendAndClose(Messages("relayed", 1)));
  const auto values = producer_.WaitForValues(1);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(Containing(values, "\"service\":\"relayed\""), 1u);
}

TEST_F(SyslogServerTest, ATlsPortNeedsACertificate) {
  SyslogServer server({.tls_port = 0}, pipeline_, registry_);
  const auto started = server.Start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().message.find("certificate"), std::string::npos);
}

}  // namespace
}  // namespace lp::collector
