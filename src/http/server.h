#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "core/result.h"

namespace lp::http {

class ServerTls;

/// A request as handlers see it. `body` has at least kBodyPadding bytes of spare capacity so
/// that parsers needing padding (simdjson) can read it in place.
struct Request {
  std::string method;
  std::string path;
  std::string query;
  std::string content_type;
  std::string content_encoding;
  std::string authorization;
  std::string accept;         ///< The Accept header (the web UI answers / only to text/html).
  std::string last_event_id;  ///< Server-Sent Events resume from here.
  std::string body;
  /// Set by authentication (security::RequireScope) before the handler runs: the tenant of the
  /// request's token and the token's name. Empty when authentication is off.
  std::string tenant;
  std::string principal;
  /// Set by the server once the client closes the connection before the answer was sent, so
  /// that a long handler (a query) can stop; it stays false when the client sends more instead.
  std::shared_ptr<const std::atomic<bool>> client_gone;
};

inline constexpr size_t kBodyPadding = 64;

/// The writing end of a streamed response body (Server-Sent Events). Thread-safe.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  /// Queues a piece of the body, sent as one chunk; false once the client went away or the
  /// server is stopping, and the producer should then stop.
  virtual bool Write(std::string piece) = 0;
  /// Ends the body; the connection closes after it.
  virtual void End() = 0;
  /// False once the client went away or the server is stopping.
  [[nodiscard]] virtual bool open() const = 0;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// When set, `body` is ignored: the server sends the status and headers with a chunked body
  /// that stays open, then calls this once (on a server thread; keep the stream and return) to
  /// hand over the writing. The request counts as answered once the headers are sent.
  std::function<void(std::shared_ptr<BodyStream>)> stream{};
};

/// Sends the response; call exactly once, from any thread.
using Responder = std::function<void(Response)>;
/// Handles one request. Runs on a server thread: it must not block for long. It may answer later
/// (after durable storage, say) by keeping the responder.
using Handler = std::function<void(Request&, Responder)>;

struct Route {
  std::string method;
  std::string path;
  Handler handler;
};

struct ServerOptions {
  std::string name{};  ///< For logs: "ingest", "metrics".
  std::string address = "127.0.0.1";
  uint16_t port = 0;  ///< 0 picks a free port; see Server::port().
  size_t threads = 2;
  size_t max_body_bytes = 10 * 1024 * 1024;
  size_t max_connections = 1024;
  /// Connections from one client address. At either limit, the connection that has waited
  /// longest for a request (idle, or still sending its header) is closed to make room; only
  /// when every connection is busy with a request is the new one refused.
  size_t max_connections_per_client = 256;
  /// Request bodies held in memory at once, across connections; past it requests get 503.
  /// A body is counted as it is read (its Content-Length, or chunk by chunk), never before.
  size_t max_inflight_body_bytes = 256 * 1024 * 1024;
  /// Longest request target; longer ones get 414.
  size_t max_target_bytes = 8 * 1024;
  /// How long a kept-alive connection may wait for the first byte of its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  /// How long a request's header may take once its first byte arrived.
  std::chrono::milliseconds header_timeout{5'000};
  /// How long a request's body may take once its header was read.
  std::chrono::milliseconds body_timeout{60'000};
  /// Set: the server speaks HTTPS only (the TLS handshake has the header's deadline), and a
  /// plain HTTP request is answered 400 in clear text, then closed. Every limit and deadline
  /// above holds the same for both.
  std::shared_ptr<const ServerTls> tls{};
};

/// Request counts and latencies by route and status code, shared by every server of a process.
struct HttpMetrics {
  explicit HttpMetrics(metrics::Registry& registry);

  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& latency;
  metrics::Counter& rejected_connections;
  metrics::Counter& evicted_connections;
  metrics::Family<metrics::Counter>& timeouts;  ///< By phase: idle, header, body.
  metrics::Counter& malformed_requests;
  metrics::Counter& handler_failures;
  /// By reason: plaintext (HTTP sent to a TLS port), timeout, handshake (no or untrusted client
  /// certificate, no common protocol version or cipher, not TLS at all).
  metrics::Family<metrics::Counter>& tls_handshake_failures;
};

/// An HTTP/1.1 server (Boost.Beast), over TLS when its options say so, on a fixed pool of
/// threads: keep-alive, bounded header, body and connection counts, idle/header/body deadlines.
/// Malformed requests get a 4xx/5xx answer naming the problem, then the connection is closed. A
/// handler that throws answers 500 with a request id. Start() binds and starts the threads; Stop()
/// is idempotent and waits for in-flight requests up to its deadline.
class Server {
 public:
  Server(ServerOptions options, std::vector<Route> routes, HttpMetrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] Result<void> Start();
  void Stop(std::chrono::milliseconds deadline = std::chrono::seconds(5));
  [[nodiscard]] uint16_t port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// `{"error":"..."}` with the message escaped for JSON.
[[nodiscard]] Response ErrorResponse(unsigned status, std::string_view message);
/// A response with a JSON body the caller already rendered.
[[nodiscard]] Response JsonResponse(unsigned status, std::string body);

}  // namespace lp::http
