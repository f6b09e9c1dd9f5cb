#include "http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include "core/json_escape.h"
#include "core/logging.h"

namespace lp::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
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
                                           "Connections closed at once because the server was at "
                                           "its connection limit.")
                               .WithLabels({})) {}

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
      if (route.path != path) continue;
      path_known = true;
      if (route.method == method) return &route;
    }
    return nullptr;
  }

  void Accept();

  ServerOptions options;
  std::vector<Route> routes;
  HttpMetrics& metrics;
  // Declared before the io_context: sessions it still holds touch these when it is destroyed.
  std::atomic<size_t> connections{0};
  std::atomic<size_t> inflight_body_bytes{0};
  std::atomic<size_t> active_requests{0};
  std::mutex idle_mutex;
  std::condition_variable idle;
  std::atomic<bool> stopping{false};
  asio::io_context io{static_cast<int>(options.threads)};
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  uint16_t bound_port = 0;
  bool started = false;
  bool stopped = false;
};

namespace {

class Session;

// A streamed body's writing end: posts each piece to the session's strand; knows when the
// client went away.
class SessionBodyStream final : public BodyStream {
 public:
  SessionBodyStream(std::weak_ptr<Session> session, Server::Impl& server)
      : session_(std::move(session)), server_(server) {}
  bool Write(std::string piece) override;
  void End() override;
  void MarkClosed() { closed_.store(true); }
  [[nodiscard]] bool open() const override { return !closed_.load() && !server_.stopping.load(); }

 private:
  std::weak_ptr<Session> session_;
  Server::Impl& server_;
  std::atomic<bool> closed_{false};
};

/// One connection: reads requests one after another (keep-alive), hands each to its route's
/// handler and writes the response on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {
    buffer_.reserve(kReadBufferBytes);
  }
  ~Session() { server_.connections.fetch_sub(1); }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimitBytes);
    parser_->body_limit(server_.options.max_body_bytes);
    stream_.expires_after(server_.options.idle_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnHeader(error); });
  }

  void OnHeader(beast::error_code error) {
    if (error == bhttp::error::header_limit) {
      return Reject(
          431, "request header fields are over " + std::to_string(kHeaderLimitBytes) + " bytes");
    }
    if (error == bhttp::error::body_limit) {
      return Reject(413, "body is over the " + std::to_string(server_.options.max_body_bytes) +
                             "-byte limit");
    }
    if (error) return Close();
    if (server_.stopping.load()) {
      return Reject(503, "server is shutting down");
    }
    const auto& header = parser_->get();
    const auto content_length = parser_->content_length();
    reserved_bytes_ = content_length ? static_cast<size_t>(*content_length) + kBodyPadding
                                     : server_.options.max_body_bytes + kBodyPadding;
    if (!server_.ReserveBody(reserved_bytes_)) {
      reserved_bytes_ = 0;
      return Reject(503, "too many request bodies in flight; retry later", true);
    }
    if (content_length) parser_->get().body().reserve(reserved_bytes_);
    if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
      auto continue_response = std::make_shared<bhttp::response<bhttp::empty_body>>(
          bhttp::status::continue_, header.version());
      bhttp::async_write(
          stream_, *continue_response,
          [self = shared_from_this(), continue_response](beast::error_code error, size_t) {
            if (error) return self->Close();
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnBody(error); });
  }

  void OnBody(beast::error_code error) {
    if (error == bhttp::error::body_limit) {
      return Reject(413, "body is over the " + std::to_string(server_.options.max_body_bytes) +
                             "-byte limit");
    }
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
    route->handler(request, [self = shared_from_this()](Response response) {
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Respond(std::move(response));
      });
    });
  }

  // Answers without reading the body, then closes: the rest of the request is unread.
  void Reject(unsigned status, std::string message, bool retry_later = false) {
    keep_alive_ = false;
    version_ = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    route_label_ = "rejected";
    started_ = Clock::now();
    server_.RequestStarted();
    auto response = ErrorResponse(status, message);
    if (retry_later) response.headers.emplace_back("Retry-After", "1");
    Respond(std::move(response));
  }

 public:
  beast::tcp_stream& stream() { return stream_; }

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
  void Respond(Response response) {
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
    stream_.expires_after(server_.options.idle_timeout);
    bhttp::async_write(stream_, *out,
                       [self = shared_from_this(), out](beast::error_code error, size_t) {
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
    stream_.expires_after(server_.options.idle_timeout);
    bhttp::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), head, serializer, produce = std::move(response.stream)](
            beast::error_code error, size_t) {
          self->OnWritten(error, false, /*streaming=*/true);
          // The producer is always told, so that it can release what it holds.
          self->body_stream_ = std::make_shared<SessionBodyStream>(self, self->server_);
          if (error) {
            self->body_stream_->MarkClosed();
          } else {
            self->stream_.expires_never();
            self->WatchForClose();
          }
          produce(self->body_stream_);
        });
  }

  void WatchForClose() {
    discard_.resize(kReadBufferBytes);
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code error, size_t) {
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
      stream_.expires_after(server_.options.idle_timeout);
      asio::async_write(stream_, bhttp::make_chunk_last(),
                        [self = shared_from_this()](beast::error_code, size_t) {
                          self->body_stream_->MarkClosed();
                          self->Close();
                        });
      return;
    }
    stream_writing_ = true;
    auto piece = std::make_shared<std::string>(std::move(stream_pending_.front()));
    stream_pending_.pop_front();
    stream_.expires_after(server_.options.idle_timeout);
    asio::async_write(stream_, bhttp::make_chunk(asio::buffer(*piece)),
                      [self = shared_from_this(), piece](beast::error_code error, size_t) {
                        self->stream_writing_ = false;
                        if (error) {
                          self->body_stream_->MarkClosed();
                          return self->Close();
                        }
                        self->stream_.expires_never();
                        self->PumpStream();
                      });
  }

  void OnWritten(beast::error_code error, bool keep_alive, bool streaming = false) {
    if (streaming) {
      if (reserved_bytes_) {
        server_.ReleaseBody(reserved_bytes_);
        reserved_bytes_ = 0;
      }
      server_.RequestFinished();
      if (error) Close();
      return;
    }
    if (reserved_bytes_) {
      server_.ReleaseBody(reserved_bytes_);
      reserved_bytes_ = 0;
    }
    server_.RequestFinished();
    if (error) return Close();
    if (!keep_alive) return LingeringClose();
    ReadHeader();
  }

  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // response before the client reads it; so stop sending, then discard input until the client
  // closes, for a bounded time.
  void LingeringClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    DiscardInput();
  }

  void DiscardInput() {
    discard_.resize(kReadBufferBytes);
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code error, size_t bytes) {
                              self->discarded_bytes_ += bytes;
                              if (error || self->discarded_bytes_ > kMaxDiscardBytes) {
                                return self->stream_.close();
                              }
                              self->DiscardInput();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string discard_;
  size_t discarded_bytes_ = 0;
  size_t reserved_bytes_ = 0;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  std::string route_label_;
  Clock::time_point started_;
  std::shared_ptr<SessionBodyStream> body_stream_;
  std::deque<std::string> stream_pending_;
  bool stream_writing_ = false;
  bool stream_ended_ = false;
};

bool SessionBodyStream::Write(std::string piece) {
  if (!open()) return false;
  auto session = session_.lock();
  if (!session) return false;
  asio::post(session->stream().get_executor(), [session, piece = std::move(piece)]() mutable {
    session->QueueStreamPiece(std::move(piece));
  });
  return true;
}

void SessionBodyStream::End() {
  auto session = session_.lock();
  if (!session) return;
  asio::post(session->stream().get_executor(), [session] { session->EndStream(); });
}

}  // namespace

void Server::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!error) {
      if (connections.fetch_add(1) >= options.max_connections) {
        connections.fetch_sub(1);
        metrics.rejected_connections.Increment();
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        socket.set_option(tcp::no_delay(true), error);
        std::make_shared<Session>(std::move(socket), *this)->Run();
      }
    }
    Accept();
  });
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
  impl_->io.stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

uint16_t Server::port() const { return impl_->bound_port; }

}  // namespace lp::http
