#include "http/server.h"

#include <sys/socket.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "core/json_escape.h"
#include "core/logging.h"
#include "http/route_path.h"
#include "http/server_tls.h"

namespace lp::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Clock = std::chrono::steady_clock;

constexpr size_t kReadBufferBytes = 64 * 1024;
constexpr uint32_t kHeaderLimitBytes = 16 * 1024;
constexpr size_t kMaxDiscardBytes = 64 * 1024 * 1024;

const Logger& Log() {
  static const Logger logger("http");
  return logger;
}

}  // namespace

HttpMetrics::HttpMetrics(metrics::Registry& registry)
    : requests(registry.AddCounter("http_requests_total", "HTTP requests by route and status code.",
                                   {"route", "code"})),
      latency(registry.AddHistogram("http_request_duration_seconds",
                                    "Time from a request's last byte to its response, by route.",
                                    metrics::LatencyBuckets(), {"route"})),
      rejected_connections(registry
                               .AddCounter("http_connections_rejected_total",
                                           "Connections closed at once because the server (or "
                                           "the client's address) was at its connection limit "
                                           "with every connection busy.")
                               .WithLabels({})),
      evicted_connections(registry
                              .AddCounter("http_connections_evicted_total",
                                          "Idle or header-sending connections closed to make "
                                          "room for a new one at the connection limit.")
                              .WithLabels({})),
      timeouts(registry.AddCounter("http_timeouts_total",
                                   "Connections closed because a deadline passed, by phase "
                                   "(idle, header, body).",
                                   {"phase"})),
      malformed_requests(registry
                             .AddCounter("http_malformed_requests_total",
                                         "Requests answered 4xx/5xx and closed because they "
                                         "were not valid HTTP/1.1.")
                             .WithLabels({})),
      handler_failures(registry
                           .AddCounter("http_handler_failures_total",
                                       "Requests answered 500 because their handler threw.")
                           .WithLabels({})),
      tls_handshake_failures(registry.AddCounter(
          "tls_handshake_failures_total",
          "Connections to a TLS port closed before their handshake completed, by reason: "
          "plaintext (HTTP sent to a TLS port), timeout, handshake (no or untrusted client "
          "certificate, no common protocol version or cipher, not TLS).",
          {"reason"})) {}

Response JsonResponse(unsigned status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response ErrorResponse(unsigned status, std::string_view message) {
  Response response;
  response.status = status;
  response.body = "{\"error\":\"";
  AppendJsonEscaped(response.body, message);
  response.body += "\"}";
  return response;
}

namespace {

/// What a connection is doing; only the first two may be closed to make room for another.
enum class Phase { kIdle, kHeader, kBusy };

/// The part of a session the server's connection table sees.
class TrackedConnection {
 public:
  virtual ~TrackedConnection() = default;
  /// Closes the connection from its own strand; safe from any thread.
  virtual void Evict() = 0;

  void SetPhase(Phase phase) {
    phase_since_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    phase_.store(phase, std::memory_order_relaxed);
  }
  [[nodiscard]] bool Evictable() const {
    return phase_.load(std::memory_order_relaxed) != Phase::kBusy;
  }
  [[nodiscard]] Clock::rep PhaseSince() const {
    return phase_since_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<Phase> phase_{Phase::kIdle};
  std::atomic<Clock::rep> phase_since_{Clock::now().time_since_epoch().count()};
};

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options_in, std::vector<Route> routes_in, HttpMetrics& metrics_in)
      : options(std::move(options_in)),
        routes(std::move(routes_in)),
        metrics(metrics_in),
        acceptor(asio::make_strand(io)) {}

  bool ReserveBody(size_t bytes) {
    size_t current = inflight_body_bytes.load(std::memory_order_relaxed);
    do {
      if (current + bytes > options.max_inflight_body_bytes && current != 0) return false;
    } while (!inflight_body_bytes.compare_exchange_weak(current, current + bytes));
    return true;
  }
  void ReleaseBody(size_t bytes) { inflight_body_bytes.fetch_sub(bytes); }

  void RequestStarted() { active_requests.fetch_add(1); }
  void RequestFinished() {
    if (active_requests.fetch_sub(1) == 1) {
      std::lock_guard lock(idle_mutex);
      idle.notify_all();
    }
  }

  const Route* FindRoute(std::string_view method, std::string_view path, bool& path_known) const {
    path_known = false;
    for (const auto& route : routes) {
      if (!RoutePathMatches(route.path, path)) continue;
      path_known = true;
      if (route.method == method) return &route;
    }
    return nullptr;
  }

  /// Makes room for a connection from `client`: true when it may be served (possibly after
  /// evicting the connection that has waited longest without a request), false when every
  /// connection in its way is busy.
  bool Admit(const std::string& client) {
    // Declared before the lock so that, if one of these was the last reference, the session's
    // destructor (which takes the lock to unregister) runs after the lock is released.
    std::vector<std::shared_ptr<TrackedConnection>> seen;
    std::shared_ptr<TrackedConnection> victim;
    std::lock_guard lock(connections_mutex);
    const size_t from_client = per_client[client];
    const bool over_total = connections.size() >= options.max_connections;
    const bool over_client = from_client >= options.max_connections_per_client;
    if (!over_total && !over_client) return true;
    Clock::rep victim_since = 0;
    for (const auto& [id, entry] : connections) {
      if (over_client && !over_total && entry.client != client) continue;
      auto connection = entry.connection.lock();
      if (!connection || !connection->Evictable()) continue;
      if (!victim || connection->PhaseSince() < victim_since) {
        victim = connection;
        victim_since = connection->PhaseSince();
      }
      seen.push_back(std::move(connection));
    }
    if (!victim) return false;
    victim->Evict();
    metrics.evicted_connections.Increment();
    return true;
  }
  uint64_t Register(const std::shared_ptr<TrackedConnection>& connection,
                    const std::string& client) {
    std::lock_guard lock(connections_mutex);
    const uint64_t id = next_connection_id++;
    connections.emplace(id, ConnectionEntry{connection, client});
    ++per_client[client];
    return id;
  }
  void Unregister(uint64_t id) {
    std::lock_guard lock(connections_mutex);
    const auto found = connections.find(id);
    if (found == connections.end()) return;
    const auto client = per_client.find(found->second.client);
    if (client != per_client.end() && --client->second == 0) per_client.erase(client);
    connections.erase(found);
  }

  void Accept();
  template <typename Stream, typename... Context>
  void Serve(tcp::socket socket, const std::string& client, Context&&... context);

  ServerOptions options;
  std::vector<Route> routes;
  HttpMetrics& metrics;
  // Declared before the io_context: sessions it still holds touch these when it is destroyed.
  struct ConnectionEntry {
    std::weak_ptr<TrackedConnection> connection;
    std::string client;
  };
  std::mutex connections_mutex;
  std::map<uint64_t, ConnectionEntry> connections;
  std::map<std::string, size_t> per_client;
  uint64_t next_connection_id = 0;
  std::atomic<uint64_t> next_request_id{0};
  std::atomic<size_t> inflight_body_bytes{0};
  std::atomic<size_t> active_requests{0};
  std::mutex idle_mutex;
  std::condition_variable idle;
  std::atomic<bool> stopping{false};
  asio::io_context io{static_cast<int>(options.threads)};
  // Keeps the threads running while nothing is pending on a socket: during a drain the acceptor
  // is closed and a request waiting on its handler (an fsync, say) has no I/O outstanding, yet
  // its answer must still be written when the handler posts it.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  uint16_t bound_port = 0;
  bool started = false;
  bool stopped = false;
};

namespace {

// What Beast's parser errors mean to a client, for the 400 that answers them.
std::string DescribeParseError(const beast::error_code& error) {
  if (error == bhttp::error::bad_method) return "malformed request method";
  if (error == bhttp::error::bad_target) return "malformed request target";
  if (error == bhttp::error::bad_version) {
    return "unsupported HTTP version (HTTP/1.0 and HTTP/1.1 are served; HTTP/2 only after an "
           "upgrade, which this server does not offer)";
  }
  if (error == bhttp::error::bad_content_length) {
    return "invalid Content-Length (negative, too large, not a number, or given twice with "
           "different values)";
  }
  if (error == bhttp::error::bad_transfer_encoding) {
    return "invalid Transfer-Encoding (with Content-Length, or chunked not last)";
  }
  if (error == bhttp::error::bad_chunk || error == bhttp::error::bad_chunk_extension) {
    return "malformed chunk in a chunked body";
  }
  return "malformed HTTP request: " + error.message();
}

bool IsParseError(const beast::error_code& error) {
  return error.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         error != bhttp::error::end_of_stream && error != bhttp::error::partial_message &&
         error != bhttp::error::need_more && error != bhttp::error::need_buffer;
}

template <typename Stream>
class Session;

// A streamed body's writing end: posts each piece to the session's strand; knows when the
// client went away.
template <typename Stream>
class SessionBodyStream final : public BodyStream {
 public:
  SessionBodyStream(std::weak_ptr<Session<Stream>> session, Server::Impl& server)
      : session_(std::move(session)), server_(server) {}
  bool Write(std::string piece) override;
  void End() override;
  void MarkClosed() { closed_.store(true); }
  [[nodiscard]] bool open() const override { return !closed_.load() && !server_.stopping.load(); }

 private:
  std::weak_ptr<Session<Stream>> session_;
  Server::Impl& server_;
  std::atomic<bool> closed_{false};
};

/// One connection: reads requests one after another (keep-alive), hands each to its route's
/// handler and writes the response on the connection's strand. Every path out of a request
/// (answered, rejected, failed read, closed connection) gives back the body bytes it counted,
/// at the latest when the session is destroyed. `Stream` is a PlainStream or a TlsStream; a TLS
/// session first tells TLS from plain HTTP, then shakes hands, then runs the same code.
template <typename Stream>
class Session : public TrackedConnection, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(tcp::socket socket, Server::Impl& server, std::string client) requires(!kTls)
      : stream_(std::move(socket)), server_(server), client_(std::move(client)) {
    buffer_.reserve(kReadBufferBytes);
  }
  // The context is held for the connection's life: a reload may replace the server's.
  Session(tcp::socket socket, Server::Impl& server, std::string client,
          std::shared_ptr<asio::ssl::context> context) requires(kTls)
      : context_(std::move(context)),
        stream_(std::move(socket), *context_),
        server_(server),
        client_(std::move(client)) {
    buffer_.reserve(kReadBufferBytes);
  }
  ~Session() override {
    ReleaseReservation();
    server_.Unregister(id_);
  }

  void Run(uint64_t id) {
    id_ = id;
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->DetectTls();
      } else {
        self->AwaitRequest();
      }
    });
  }

  void Evict() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->Evictable()) self->Close();
    });
  }

 private:
  // Waits for the first byte of the next request under the idle deadline; the header then has
  // its own, shorter deadline, so a client trickling a header cannot hold the connection long.
  void AwaitRequest() {
    SetPhase(Phase::kIdle);
    if (buffer_.size() > 0) return ReadHeader();
    Transport().expires_after(server_.options.idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(kReadBufferBytes),
        [self = this->shared_from_this()](beast::error_code error, size_t bytes) {
          self->buffer_.commit(bytes);
          if (error == beast::error::timeout) {
            self->server_.metrics.timeouts.WithLabels({"idle"}).Increment();
          }
          if (error) return self->Close();
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    SetPhase(Phase::kHeader);
    http2_preface_ = StartsWithHttp2Preface();
    parser_.emplace();
    parser_->header_limit(kHeaderLimitBytes);
    parser_->body_limit(server_.options.max_body_bytes);
    Transport().expires_after(server_.options.header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code error, size_t) {
                               self->OnHeader(error);
                             });
  }

  // Whether the header failed its size limit because of the request line alone.
  bool RequestLineTooLong() const {
    const auto data = buffer_.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    const auto line_end = text.find("\r\n");
    return line_end == std::string_view::npos ? text.size() >= server_.options.max_target_bytes
                                              : line_end > server_.options.max_target_bytes;
  }

  void OnHeader(beast::error_code error) {
    SetPhase(Phase::kBusy);
    if (error == bhttp::error::header_limit) {
      if (RequestLineTooLong()) {
        return Malformed(414, "request target is over " +
                                  std::to_string(server_.options.max_target_bytes) + " bytes");
      }
      return Malformed(
          431, "request header fields are over " + std::to_string(kHeaderLimitBytes) + " bytes");
    }
    if (error == bhttp::error::body_limit) {
      return Reject(413, "body is over the " + std::to_string(server_.options.max_body_bytes) +
                             "-byte limit");
    }
    if (error == beast::error::timeout) {
      server_.metrics.timeouts.WithLabels({"header"}).Increment();
      return Close();
    }
    if (IsParseError(error)) {
      if (http2_preface_) {
        return Malformed(400,
                         "HTTP/2 without upgrade is not served here; speak HTTP/1.1 to this port");
      }
      return Malformed(400, DescribeParseError(error));
    }
    if (error) return Close();
    if (server_.stopping.load()) {
      return Reject(503, "server is shutting down");
    }
    const auto& header = parser_->get();
    if (header.version() != 10 && header.version() != 11) {
      return Malformed(400, http2_preface_
                                ? "HTTP/2 without upgrade is not served here; speak HTTP/1.1 to "
                                  "this port"
                                : "unsupported HTTP version: HTTP/1.0 and HTTP/1.1 are served");
    }
    if (header.target().size() > server_.options.max_target_bytes) {
      return Malformed(414, "request target is over " +
                                std::to_string(server_.options.max_target_bytes) + " bytes");
    }
    if (parser_->chunked()) {
      const std::string_view encoding = header[bhttp::field::transfer_encoding];
      if (!beast::iequals(encoding, "chunked")) {
        return Malformed(501, "Transfer-Encoding \"" + std::string(encoding) +
                                  "\" is not supported: send chunked alone, and compress with "
                                  "Content-Encoding");
      }
    }
    if (const auto content_length = parser_->content_length();
        content_length && *content_length > 0) {
      // Beast allocates the whole declared body before reading it, so that is what it costs.
      if (!Reserve(static_cast<size_t>(*content_length) + kBodyPadding)) {
        return Reject(503, "too many request bodies in flight; retry later", true);
      }
      parser_->get().body().reserve(static_cast<size_t>(*content_length) + kBodyPadding);
    }
    if (beast::iequals(header[bhttp::field::expect], "100-continue") && !parser_->is_done()) {
      auto continue_response = std::make_shared<bhttp::response<bhttp::empty_body>>(
          bhttp::status::continue_, header.version());
      bhttp::async_write(
          stream_, *continue_response,
          [self = this->shared_from_this(), continue_response](beast::error_code error, size_t) {
            if (error) return self->Close();
            self->StartBody();
          });
      return;
    }
    StartBody();
  }

  bool StartsWithHttp2Preface() const {
    const auto data = buffer_.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    return text.starts_with("PRI * HTTP/2");
  }

  void StartBody() {
    if (parser_->is_done()) return OnBody({});
    Transport().expires_after(server_.options.body_timeout);
    ReadBody();
  }

  // Reads the body a piece at a time so that a chunked body is counted as it arrives.
  void ReadBody() {
    bhttp::async_read_some(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code error, size_t) {
          if (error) return self->OnBody(error);
          if (self->parser_->chunked()) {
            const size_t have = self->parser_->get().body().size() + kBodyPadding;
            if (have > self->reserved_bytes_ &&
                !self->Reserve(std::max(have - self->reserved_bytes_, kReadBufferBytes))) {
              return self->Reject(503, "too many request bodies in flight; retry later", true);
            }
          }
          if (self->parser_->is_done()) return self->OnBody({});
          self->ReadBody();
        });
  }

  void OnBody(beast::error_code error) {
    if (error == bhttp::error::body_limit) {
      return Reject(413, "body is over the " + std::to_string(server_.options.max_body_bytes) +
                             "-byte limit");
    }
    if (error == beast::error::timeout) {
      server_.metrics.timeouts.WithLabels({"body"}).Increment();
      return Close();
    }
    if (IsParseError(error)) return Malformed(400, DescribeParseError(error));
    if (error) return Close();
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();

    Request request;
    request.method = std::string(message.method_string());
    const std::string_view target = message.target();
    const auto question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos)
      request.query = std::string(target.substr(question + 1));
    request.content_type = std::string(message[bhttp::field::content_type]);
    request.content_encoding = std::string(message[bhttp::field::content_encoding]);
    request.authorization = std::string(message[bhttp::field::authorization]);
    request.accept = std::string(message[bhttp::field::accept]);
    request.last_event_id = std::string(message["Last-Event-ID"]);
    request.body = std::move(message.body());
    if (request.body.capacity() < request.body.size() + kBodyPadding) {
      request.body.reserve(request.body.size() + kBodyPadding);
    }

    bool path_known = false;
    const Route* route = server_.FindRoute(request.method, request.path, path_known);
    started_ = Clock::now();
    route_label_ = route ? route->path : std::string("other");
    server_.RequestStarted();
    if (!route) {
      Respond(path_known ? ErrorResponse(
                               405, "method " + request.method + " not allowed on " + request.path)
                         : ErrorResponse(404, "no such path: " + request.path));
      return;
    }
    auto responder = [self = this->shared_from_this()](Response response) {
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Respond(std::move(response));
      });
    };
    client_gone_ = std::make_shared<std::atomic<bool>>(false);
    request.client_gone = client_gone_;
    try {
      route->handler(request, responder);
      WatchForClientGone(client_gone_);
    } catch (const std::exception& exception) {
      // A bug in a handler: answer it (a handler that threw has not answered) and keep serving.
      const std::string request_id = std::to_string(server_.next_request_id.fetch_add(1));
      server_.metrics.handler_failures.Increment();
      Log().Error("handler threw", {{"server", server_.options.name},
                                    {"route", route->path},
                                    {"request_id", request_id},
                                    {"error", exception.what()}});
      auto response = ErrorResponse(500, "internal error (request id " + request_id + ")");
      response.headers.emplace_back("X-Request-Id", request_id);
      responder(std::move(response));
    }
  }

  bool Reserve(size_t bytes) {
    if (!server_.ReserveBody(bytes)) return false;
    reserved_bytes_ += bytes;
    return true;
  }
  void ReleaseReservation() {
    if (reserved_bytes_ == 0) return;
    server_.ReleaseBody(reserved_bytes_);
    reserved_bytes_ = 0;
  }

  void Malformed(unsigned status, std::string message) {
    server_.metrics.malformed_requests.Increment();
    Reject(status, std::move(message));
  }

  // Answers without reading the rest of the request, then closes.
  void Reject(unsigned status, std::string message, bool retry_later = false) {
    SetPhase(Phase::kBusy);
    ReleaseReservation();
    keep_alive_ = false;
    const bool http10 = parser_ && parser_->is_header_done() && parser_->get().version() == 10;
    version_ = http10 ? 10 : 11;
    route_label_ = "rejected";
    started_ = Clock::now();
    server_.RequestStarted();
    auto response = ErrorResponse(status, message);
    if (retry_later) response.headers.emplace_back("Retry-After", "1");
    Respond(std::move(response));
  }

 public:
  Stream& stream() { return stream_; }

  // Called on the strand by SessionBodyStream.
  void QueueStreamPiece(std::string piece) {
    stream_pending_.push_back(std::move(piece));
    PumpStream();
  }
  void EndStream() {
    stream_ended_ = true;
    PumpStream();
  }

 private:
  // While a handler works on the request, a client closing the connection makes the transport
  // readable with nothing to read: the request's flag tells the handler. Bytes waiting instead (a
  // pipelined request, or a TLS close_notify) leave it unset, and the answer's write finds out.
  void WatchForClientGone(std::shared_ptr<std::atomic<bool>> flag) {
    Transport().socket().async_wait(
        tcp::socket::wait_read,
        [self = this->shared_from_this(), flag = std::move(flag)](beast::error_code error) {
          if (self->client_gone_ != flag) return;  // Answered meanwhile.
          if (!error) {
            char byte = 0;
            const ssize_t peeked = ::recv(self->Transport().socket().native_handle(), &byte, 1,
                                          MSG_PEEK | MSG_DONTWAIT);
            if (peeked > 0 || (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) return;
          }
          flag->store(true, std::memory_order_relaxed);
        });
  }

  void Respond(Response response) {
    client_gone_.reset();
    // The request is answered: its body is no longer held for it. Released before the answer
    // is written, so a client that saw the answer never finds the budget still taken.
    ReleaseReservation();
    if (response.stream) return RespondStreaming(std::move(response));
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    server_.metrics.requests.WithLabels({route_label_, std::to_string(response.status)})
        .Increment();
    server_.metrics.latency.WithLabels({route_label_}).Observe(seconds);

    auto out = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), version_);
    out->set(bhttp::field::server, "logpipe");
    out->set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) out->set(name, value);
    out->body() = std::move(response.body);
    out->keep_alive(keep_alive_ && !server_.stopping.load());
    out->prepare_payload();
    Transport().expires_after(server_.options.idle_timeout);
    bhttp::async_write(stream_, *out,
                       [self = this->shared_from_this(), out](beast::error_code error, size_t) {
                         self->OnWritten(error, out->keep_alive());
                       });
  }

  // The head with a chunked body, then pieces as the producer writes them; a read that only
  // ends when the client closes tells the producer to stop.
  void RespondStreaming(Response response) {
    server_.metrics.requests.WithLabels({route_label_, std::to_string(response.status)})
        .Increment();
    auto head = std::make_shared<bhttp::response<bhttp::empty_body>>(
        static_cast<bhttp::status>(response.status), version_);
    head->set(bhttp::field::server, "logpipe");
    head->set(bhttp::field::content_type, response.content_type);
    head->set(bhttp::field::cache_control, "no-cache");
    for (auto& [name, value] : response.headers) head->set(name, value);
    head->keep_alive(false);
    head->chunked(true);
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
    Transport().expires_after(server_.options.idle_timeout);
    bhttp::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), head, serializer, produce = std::move(response.stream)](
            beast::error_code error, size_t) {
          self->OnWritten(error, false, /*streaming=*/true);
          // The producer is always told, so that it can release what it holds.
          self->body_stream_ = std::make_shared<SessionBodyStream<Stream>>(self, self->server_);
          if (error) {
            self->body_stream_->MarkClosed();
          } else {
            self->Transport().expires_never();
            self->WatchForClose();
          }
          produce(self->body_stream_);
        });
  }

  void WatchForClose() {
    discard_.resize(kReadBufferBytes);
    stream_.async_read_some(asio::buffer(discard_),
                            [self = this->shared_from_this()](beast::error_code error, size_t) {
                              if (error) {
                                self->body_stream_->MarkClosed();
                                return;
                              }
                              self->WatchForClose();
                            });
  }

  void PumpStream() {
    if (stream_writing_ || body_stream_ == nullptr) return;
    if (stream_pending_.empty()) {
      if (!stream_ended_) return;
      stream_writing_ = true;
      Transport().expires_after(server_.options.idle_timeout);
      asio::async_write(stream_, bhttp::make_chunk_last(),
                        [self = this->shared_from_this()](beast::error_code, size_t) {
                          self->body_stream_->MarkClosed();
                          self->Close();
                        });
      return;
    }
    stream_writing_ = true;
    auto piece = std::make_shared<std::string>(std::move(stream_pending_.front()));
    stream_pending_.pop_front();
    Transport().expires_after(server_.options.idle_timeout);
    asio::async_write(stream_, bhttp::make_chunk(asio::buffer(*piece)),
                      [self = this->shared_from_this(), piece](beast::error_code error, size_t) {
                        self->stream_writing_ = false;
                        if (error) {
                          self->body_stream_->MarkClosed();
                          return self->Close();
                        }
                        self->Transport().expires_never();
                        self->PumpStream();
                      });
  }

  void OnWritten(beast::error_code error, bool keep_alive, bool streaming = false) {
    ReleaseReservation();
    if (streaming) {
      server_.RequestFinished();
      if (error) Close();
      return;
    }
    server_.RequestFinished();
    if (error) return Close();
    if (!keep_alive) return LingeringClose();
    AwaitRequest();
  }

  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // response before the client reads it; so stop sending (over TLS: after a close_notify, which
  // tells the client the answer was not cut short), then discard input until the client
  // closes, for a bounded time.
  void LingeringClose() {
    SetPhase(Phase::kIdle);
    Transport().expires_after(std::chrono::seconds(2));
    if constexpr (kTls) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->StopSendingAndDiscard(); });
    } else {
      StopSendingAndDiscard();
    }
  }

  void StopSendingAndDiscard() {
    beast::error_code ignored;
    Transport().socket().shutdown(tcp::socket::shutdown_send, ignored);
    DiscardInput();
  }

  // Reads the transport, not the TLS layer: what comes now is thrown away unread.
  void DiscardInput() {
    discard_.resize(kReadBufferBytes);
    Transport().async_read_some(asio::buffer(discard_), [self = this->shared_from_this()](
                                                            beast::error_code error, size_t bytes) {
      self->discarded_bytes_ += bytes;
      if (error || self->discarded_bytes_ > kMaxDiscardBytes) {
        return self->Transport().close();
      }
      self->DiscardInput();
    });
  }

  void Close() {
    beast::error_code ignored;
    Transport().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Transport().close();
  }

  // The TCP connection under the TLS layer (or the stream itself when there is none): deadlines,
  // shutdown and close act on it.
  beast::tcp_stream& Transport() { return beast::get_lowest_layer(stream_); }

  // The first bytes say whether the client speaks TLS; they are kept for the handshake. Waiting
  // for them is idle time, as it is before any request.
  void DetectTls() {
    SetPhase(Phase::kIdle);
    Transport().expires_after(server_.options.idle_timeout);
    beast::async_detect_ssl(
        Transport(), buffer_,
        [self = this->shared_from_this()](beast::error_code error, bool is_tls) {
          if (error == beast::error::timeout) {
            self->server_.metrics.timeouts.WithLabels({"idle"}).Increment();
          }
          if (error) return self->Close();
          if (!is_tls) return self->RefusePlainHttp();
          self->Handshake();
        });
  }

  // The handshake is held to the header's deadline: a client trickling it cannot hold the
  // connection longer than one trickling a header.
  void Handshake() {
    SetPhase(Phase::kHeader);
    Transport().expires_after(server_.options.header_timeout);
    stream_.async_handshake(
        asio::ssl::stream_base::server, buffer_.data(),
        [self = this->shared_from_this()](beast::error_code error, size_t used) {
          if (error) {
            self->server_.metrics.tls_handshake_failures
                .WithLabels({error == beast::error::timeout ? "timeout" : "handshake"})
                .Increment();
            Log().Debug("TLS handshake failed", {{"server", self->server_.options.name},
                                                 {"client", self->client_},
                                                 {"error", error.message()}});
            return self->Close();
          }
          self->buffer_.consume(used);
          self->AwaitRequest();
        });
  }

  // A client that spoke plain HTTP to a TLS port gets a clear-text answer it can read, rather
  // than a handshake failure it cannot explain.
  void RefusePlainHttp() {
    SetPhase(Phase::kBusy);
    server_.metrics.tls_handshake_failures.WithLabels({"plaintext"}).Increment();
    auto response =
        std::make_shared<bhttp::response<bhttp::string_body>>(bhttp::status::bad_request, 11);
    response->set(bhttp::field::server, "logpipe");
    response->set(bhttp::field::content_type, "application/json");
    response->body() =
        ErrorResponse(400, "this port speaks HTTPS only: send the request with https://").body;
    response->keep_alive(false);
    response->prepare_payload();
    Transport().expires_after(server_.options.header_timeout);
    bhttp::async_write(
        Transport(), *response,
        [self = this->shared_from_this(), response](beast::error_code error, size_t) {
          if (error) return self->Close();
          self->StopSendingAndDiscard();
        });
  }

  std::shared_ptr<asio::ssl::context> context_;  ///< TLS sessions only; before stream_.
  Stream stream_;
  Server::Impl& server_;
  const std::string client_;
  uint64_t id_ = 0;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string discard_;
  size_t discarded_bytes_ = 0;
  size_t reserved_bytes_ = 0;
  bool keep_alive_ = true;
  bool http2_preface_ = false;  ///< The request began as HTTP/2's connection preface does.
  unsigned version_ = 11;
  std::string route_label_;
  Clock::time_point started_;
  std::shared_ptr<SessionBodyStream<Stream>> body_stream_;
  /// The request being handled's flag (Request::client_gone); null once it is answered.
  std::shared_ptr<std::atomic<bool>> client_gone_;
  std::deque<std::string> stream_pending_;
  bool stream_writing_ = false;
  bool stream_ended_ = false;
};

template <typename Stream>
bool SessionBodyStream<Stream>::Write(std::string piece) {
  if (!open()) return false;
  auto session = session_.lock();
  if (!session) return false;
  asio::post(session->stream().get_executor(), [session, piece = std::move(piece)]() mutable {
    session->QueueStreamPiece(std::move(piece));
  });
  return true;
}

template <typename Stream>
void SessionBodyStream<Stream>::End() {
  auto session = session_.lock();
  if (!session) return;
  asio::post(session->stream().get_executor(), [session] { session->EndStream(); });
}

}  // namespace

void Server::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!error) {
      const auto remote = socket.remote_endpoint(error);
      const std::string client = error ? std::string("unknown") : remote.address().to_string();
      if (!Admit(client)) {
        metrics.rejected_connections.Increment();
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        socket.set_option(tcp::no_delay(true), error);
        if (options.tls) {
          Serve<TlsStream>(std::move(socket), client, options.tls->Current());
        } else {
          Serve<PlainStream>(std::move(socket), client);
        }
      }
    }
    Accept();
  });
}

template <typename Stream, typename... Context>
void Server::Impl::Serve(tcp::socket socket, const std::string& client, Context&&... context) {
  auto session = std::make_shared<Session<Stream>>(std::move(socket), *this, client,
                                                   std::forward<Context>(context)...);
  const uint64_t id = Register(session, client);
  session->Run(id);
}

Server::Server(ServerOptions options, std::vector<Route> routes, HttpMetrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(routes), metrics)) {}

Server::~Server() { Stop(std::chrono::milliseconds(0)); }

Result<void> Server::Start() {
  beast::error_code error;
  const auto address = asio::ip::make_address(impl_->options.address, error);
  if (error) return Permanent("invalid listen address \"" + impl_->options.address + "\"");
  const tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  const std::string where = impl_->options.address + ":" + std::to_string(impl_->options.port);
  if (acceptor.open(endpoint.protocol(), error)) {
    return Permanent("cannot open socket for " + where + ": " + error.message());
  }
  if (acceptor.set_option(asio::socket_base::reuse_address(true), error) ||
      acceptor.bind(endpoint, error)) {
    return Permanent("cannot listen on " + where + ": " + error.message());
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, error)) {
    return Permanent("cannot listen on " + where + ": " + error.message());
  }
  impl_->bound_port = acceptor.local_endpoint().port();
  impl_->started = true;
  impl_->keep_running.emplace(impl_->io.get_executor());
  impl_->Accept();
  for (size_t i = 0; i < impl_->options.threads; ++i) {
    impl_->threads.emplace_back([this] {
      // A handler that throws is a bug; log it and keep the server's thread alive.
      while (true) {
        try {
          impl_->io.run();
          return;
        } catch (const std::exception& exception) {
          Log().Error("handler threw",
                      {{"server", impl_->options.name}, {"error", exception.what()}});
        }
      }
    });
  }
  return {};
}

void Server::Stop(std::chrono::milliseconds deadline) {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping.store(true);
  asio::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  {
    std::unique_lock lock(impl_->idle_mutex);
    impl_->idle.wait_for(lock, deadline, [this] { return impl_->active_requests.load() == 0; });
  }
  impl_->keep_running.reset();
  impl_->io.stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

uint16_t Server::port() const { return impl_->bound_port; }

}  // namespace lp::http
