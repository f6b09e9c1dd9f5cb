#include "collector/syslog_server.h"

#include <sys/socket.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "collector/protocols/syslog.h"
#include "core/backoff.h"
#include "core/logging.h"
#include "http/server_tls.h"

namespace lp::collector {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

const Logger& Log() {
  static const Logger logger("syslog");
  return logger;
}

EpochMillis NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using TlsStream = ssl::stream<tcp::socket>;

// A batch is stored once it holds this many messages or bytes, or the input ran dry.
constexpr size_t kBatchMessages = 1000;
constexpr size_t kBatchBytes = 1024 * 1024;
constexpr size_t kReadBytes = 64 * 1024;
constexpr size_t kDatagramBytes = 65536;
// A client that connects to the TLS port and never finishes its handshake is closed after this.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

bool BatchFull(const DecodedBatch& batch) {
  return batch.events.size() + batch.rejected >= kBatchMessages || batch.json.size() >= kBatchBytes;
}

}  // namespace

struct SyslogServer::State {
  State(SyslogOptions options_in, IngestPipeline& pipeline_in, metrics::Registry& registry)
      : options(std::move(options_in)),
        pipeline(pipeline_in),
        protocol(pipeline_in.metrics().ForProtocol("syslog")),
        dropped(
            registry.AddCounter("syslog_messages_dropped_total",
                                "Syslog messages lost, by transport (udp, tcp, tls) and reason: "
                                "receive_buffer (UDP, the kernel's buffer was full), "
                                "not_stored (the pipeline refused them).",
                                {"transport", "reason"})),
        handshake_failures(registry.AddCounter(
            "syslog_tls_handshake_failures_total",
            "Connections to the syslog TLS port closed before their handshake completed, by "
            "reason: timeout (10 s), handshake (not TLS, no common protocol version or cipher, "
            "no or untrusted client certificate).",
            {"reason"})) {}

  // False once stopping: the batch is then not stored (Stop waits only for stores under way).
  bool BeginStore() {
    std::lock_guard lock(mutex);
    if (stopping) return false;
    ++storing;
    return true;
  }
  void EndStore() {
    std::lock_guard lock(mutex);
    if (--storing == 0) idle.notify_all();
  }

  /// What Stop needs of a connection of either kind.
  class Closable {
   public:
    virtual ~Closable() = default;
    virtual void Close() = 0;
  };
  template <typename Stream>
  class Connection;
  void Accept(tcp::acceptor& listener, bool tls);
  void WaitForDatagrams();
  void ReceiveDatagrams();

  const SyslogOptions options;
  IngestPipeline& pipeline;
  const ProtocolMetrics protocol;
  metrics::Family<metrics::Counter>& dropped;
  metrics::Family<metrics::Counter>& handshake_failures;
  asio::io_context io;
  // The listening sockets and UDP run on this strand; each connection on a strand of its own.
  asio::strand<asio::io_context::executor_type> control = asio::make_strand(io);
  tcp::acceptor acceptor{control};
  tcp::acceptor tls_acceptor{control};
  udp::socket datagrams{control};
  std::list<std::weak_ptr<Closable>> connections;  // on `control`, then Stop's thread
  SyslogDecoder datagram_decoder{options.decode};
  DecodedBatch datagram_batch;
  std::string datagram_buffer = std::string(kDatagramBytes, '\0');
  uint32_t kernel_drops = 0;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::condition_variable idle;
  size_t storing = 0;
  bool stopping = false;
  bool started = false;
};

/// One TCP sender, in clear text or over TLS (then after a handshake): reads, frames, decodes
/// and stores a batch at a time, on its strand.
template <typename Stream>
class SyslogServer::State::Connection final
    : public Closable,
      public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Connection(State& state, tcp::socket socket) requires(!kTls)
      : state_(state),
        stream_(std::move(socket)),
        timer_(stream_.get_executor()),
        framer_(state.options.decode.event_limits.max_event_bytes),
        decoder_(state.options.decode) {
    decoder_.SetTenant(state_.options.tenant);
  }
  // The context is held for the connection's life: a reload may replace the process's.
  Connection(State& state, tcp::socket socket, std::shared_ptr<ssl::context> context) requires(kTls)
      : state_(state),
        context_(std::move(context)),
        stream_(std::move(socket), *context_),
        timer_(stream_.get_executor()),
        framer_(state.options.decode.event_limits.max_event_bytes),
        decoder_(state.options.decode) {
    decoder_.SetTenant(state_.options.tenant);
  }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->Read();
      }
    });
  }

  // Once the server's threads stopped: nothing else touches the connection then.
  void Close() override {
    boost::system::error_code ignored;
    stream_.lowest_layer().close(ignored);
    timer_.cancel();
  }

 private:
  void Handshake() {
    timer_.expires_after(kHandshakeTimeout);
    timer_.async_wait([self = this->shared_from_this()](boost::system::error_code error) {
      if (error || self->handshaken_) return;
      self->handshake_timed_out_ = true;
      boost::system::error_code ignored;
      self->stream_.lowest_layer().close(ignored);  // fails the handshake under way
    });
    stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](
                                                          boost::system::error_code error) {
      self->handshaken_ = true;
      self->timer_.cancel();
      if (error) {
        self->state_.handshake_failures
            .WithLabels({self->handshake_timed_out_ ? "timeout" : "handshake"})
            .Increment();
        Log().Debug("syslog TLS handshake failed", {{"error", error.message()}});
        boost::system::error_code ignored;
        self->stream_.lowest_layer().close(ignored);
        return;
      }
      self->Read();
    });
  }

  void Read() {
    char* into = framer_.Prepare(kReadBytes);
    stream_.async_read_some(
        asio::buffer(into, kReadBytes),
        [self = this->shared_from_this()](boost::system::error_code error, size_t received) {
          // Over TLS, eof is the sender's close_notify.
          if (error == asio::error::eof) return self->Finish();
          if (error) return self->Abandon();
          self->framer_.Commit(received);
          self->Decode();
        });
  }

  // The sender is done: a last message without its line feed is still one.
  void Finish() {
    ended_ = true;
    const auto rest = framer_.Rest();
    if (!rest.empty()) {
      decoder_.Add(rest, NowMillis(), batch_);
      batch_bytes_ += rest.size();
    }
    if (batch_.events.empty() && batch_.rejected == 0) return End();
    Admit();
  }

  // The connection broke, or over TLS was cut without a close_notify (stream_truncated): the
  // messages read whole (a batch may hold some while it reads on) are stored; a last line
  // without its line feed may have been cut short, and is dropped.
  void Abandon() {
    ended_ = true;
    if (batch_.events.empty() && batch_.rejected == 0) return;
    Admit();
  }

  // Everything the sender sent is stored. Over TLS its close_notify is answered, so that a
  // sender waiting for it (a clean TLS shutdown) knows nothing was cut short.
  void End() {
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](boost::system::error_code) {
        boost::system::error_code ignored;
        self->stream_.lowest_layer().close(ignored);
      });
    }
  }

  void Decode() {
    const EpochMillis now = NowMillis();
    while (!BatchFull(batch_)) {
      const auto frame = framer_.Next();
      if (!frame) break;
      if (frame->too_long_bytes != 0) {
        decoder_.RejectTooLong(frame->too_long_bytes, batch_);
      } else {
        decoder_.Add(frame->message, now, batch_);
        batch_bytes_ += frame->message.size();
      }
    }
    if (batch_.events.empty() && batch_.rejected == 0) return Read();
    // More is waiting already: read it into this batch rather than store a small one (a store
    // costs a write to the queue whatever its size).
    boost::system::error_code error;
    if (!BatchFull(batch_) && stream_.lowest_layer().available(error) > 0 && !error) return Read();
    Admit();
  }

  // The tenant's bytes, then its events (in Store), each waited out when over the rate.
  void Admit() {
    if (auto refused = state_.pipeline.AdmitBody(state_.options.tenant, batch_bytes_)) {
      return After(*refused, [this] { Admit(); });
    }
    Store();
  }

  void Store() {
    if (!state_.BeginStore()) return;
    state_.pipeline.Store(state_.protocol, state_.options.tenant, batch_,
                          [self = this->shared_from_this()](const StoreOutcome& outcome) {
                            asio::post(self->stream_.get_executor(),
                                       [self, outcome] { self->Stored(outcome); });
                            self->state_.EndStore();
                          });
  }

  void Stored(const StoreOutcome& outcome) {
    if (!stream_.lowest_layer().is_open()) return;
    switch (outcome.kind) {
      case StoreOutcome::Kind::kStored:
        attempt_ = 0;
        break;
      case StoreOutcome::Kind::kRetryLater:
      case StoreOutcome::Kind::kRateLimited:
        // Not reading meanwhile: the sender's writes block once the socket buffers are full.
        return After(outcome, [this] { Store(); });
      case StoreOutcome::Kind::kFailed:
        state_.dropped.WithLabels({kTls ? "tls" : "tcp", "not_stored"})
            .Increment(batch_.events.size());
        break;
    }
    batch_.Clear();
    batch_bytes_ = 0;
    if (ended_) return End();
    Decode();
  }

  template <typename Again>
  void After(const StoreOutcome& outcome, Again again) {
    const auto wait = outcome.kind == StoreOutcome::Kind::kRateLimited
                          ? std::chrono::milliseconds(outcome.retry_after)
                          : backoff_.Next(attempt_++);
    timer_.expires_after(wait);
    timer_.async_wait([self = this->shared_from_this(), again](boost::system::error_code error) {
      if (!error && self->stream_.lowest_layer().is_open()) again();
    });
  }

  State& state_;
  std::shared_ptr<ssl::context> context_;  ///< TLS connections only; before stream_.
  Stream stream_;
  asio::steady_timer timer_;
  SyslogFramer framer_;
  SyslogDecoder decoder_;
  DecodedBatch batch_;
  size_t batch_bytes_ = 0;
  Backoff backoff_{std::chrono::milliseconds(100), std::chrono::seconds(10)};
  int attempt_ = 0;
  bool handshaken_ = false;
  bool handshake_timed_out_ = false;
  bool ended_ = false;  ///< The sender closed its side: what is left is stored, then End.
};

void SyslogServer::State::Accept(tcp::acceptor& listener, bool tls) {
  // Each connection gets a strand of its own, so that the threads serve connections in parallel.
  listener.async_accept(
      asio::make_strand(io),
      [this, &listener, tls](boost::system::error_code error, tcp::socket socket) {
        if (error) {
          if (error == asio::error::operation_aborted || !listener.is_open()) return;
          Log().Warn("syslog accept failed", {{"error", error.message()}});
          return Accept(listener, tls);
        }
        std::shared_ptr<Closable> connection;
        if (tls) {
          auto served = std::make_shared<Connection<TlsStream>>(*this, std::move(socket),
                                                                options.tls->Current());
          served->Run();
          connection = std::move(served);
        } else {
          auto served = std::make_shared<Connection<tcp::socket>>(*this, std::move(socket));
          served->Run();
          connection = std::move(served);
        }
        connections.remove_if([](const auto& weak) { return weak.expired(); });
        connections.push_back(connection);
        Accept(listener, tls);
      });
}

void SyslogServer::State::WaitForDatagrams() {
  datagrams.async_wait(udp::socket::wait_read, [this](boost::system::error_code error) {
    if (!error) ReceiveDatagrams();
  });
}

void SyslogServer::State::ReceiveDatagrams() {
  datagram_batch.Clear();
  const EpochMillis now = NowMillis();
  size_t bytes = 0;
  while (!BatchFull(datagram_batch)) {
    iovec data{datagram_buffer.data(), datagram_buffer.size()};
    alignas(cmsghdr) char control_data[CMSG_SPACE(sizeof(uint32_t))];
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control_data;
    message.msg_controllen = sizeof control_data;
    const ssize_t received = recvmsg(datagrams.native_handle(), &message, MSG_DONTWAIT);
    if (received < 0) break;  // EAGAIN: drained (an error shows on the next wait)
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
         header = CMSG_NXTHDR(&message, header)) {
      if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SO_RXQ_OVFL) {
        uint32_t drops = 0;
        std::memcpy(&drops, CMSG_DATA(header), sizeof drops);
        // The kernel's count since the socket opened, wrapping at 2^32.
        dropped.WithLabels({"udp", "receive_buffer"}).Increment(drops - kernel_drops);
        kernel_drops = drops;
      }
    }
    const auto text = std::string_view(datagram_buffer.data(), static_cast<size_t>(received));
    if (text.size() > options.decode.event_limits.max_event_bytes) {
      datagram_decoder.RejectTooLong(text.size(), datagram_batch);
    } else {
      datagram_decoder.Add(text, now, datagram_batch);
      bytes += text.size();
    }
  }
  if (datagram_batch.events.empty() && datagram_batch.rejected == 0) return WaitForDatagrams();
  if (pipeline.AdmitBody(options.tenant, bytes)) {
    dropped.WithLabels({"udp", "not_stored"}).Increment(datagram_batch.events.size());
    return WaitForDatagrams();
  }
  if (!BeginStore()) return;
  // The next datagrams are read once this batch is stored: meanwhile the kernel buffers them.
  pipeline.Store(protocol, options.tenant, datagram_batch,
                 [this, messages = datagram_batch.events.size()](const StoreOutcome& outcome) {
                   if (outcome.kind != StoreOutcome::Kind::kStored) {
                     dropped.WithLabels({"udp", "not_stored"}).Increment(messages);
                   }
                   asio::post(control, [this] { WaitForDatagrams(); });
                   EndStore();
                 });
}

SyslogServer::SyslogServer(SyslogOptions options, IngestPipeline& pipeline,
                           metrics::Registry& registry)
    : state_(std::make_unique<State>(std::move(options), pipeline, registry)) {
  state_->datagram_decoder.SetTenant(state_->options.tenant);
}

SyslogServer::~SyslogServer() { Stop(); }

namespace {

Result<uint16_t> Listen(tcp::acceptor& acceptor, const asio::ip::address& address, uint16_t port,
                        std::string_view what) {
  const tcp::endpoint endpoint(address, port);
  boost::system::error_code error;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return Permanent("syslog: cannot listen on " + std::string(what) + " " + address.to_string() +
                     ":" + std::to_string(port) + ": " + error.message());
  }
  return acceptor.local_endpoint().port();
}

}  // namespace

Result<SyslogServer::Ports> SyslogServer::Start() {
  State& state = *state_;
  boost::system::error_code error;
  const auto address = asio::ip::make_address(state.options.address, error);
  if (error) return Permanent("syslog: bad address " + state.options.address);
  Ports ports;
  if (state.options.port) {
    auto port = Listen(state.acceptor, address, *state.options.port, "TCP");
    if (!port) return tl::unexpected(port.error());
    const udp::endpoint datagram_endpoint(address, *port);
    state.datagrams.open(datagram_endpoint.protocol(), error);
    if (!error) state.datagrams.bind(datagram_endpoint, error);
    if (error) {
      return Permanent("syslog: cannot bind UDP " + state.options.address + ":" +
                       std::to_string(*port) + ": " + error.message());
    }
    const int on = 1;
    if (setsockopt(state.datagrams.native_handle(), SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) != 0) {
      return Permanent("syslog: cannot count UDP drops (SO_RXQ_OVFL)");
    }
    ports.plain = *port;
  }
  if (state.options.tls_port) {
    if (!state.options.tls) return Permanent("syslog: a TLS port needs a certificate");
    auto port = Listen(state.tls_acceptor, address, *state.options.tls_port, "TLS");
    if (!port) return tl::unexpected(port.error());
    ports.tls = *port;
  }
  if (ports.plain) {
    state.Accept(state.acceptor, false);
    state.WaitForDatagrams();
  }
  if (ports.tls) state.Accept(state.tls_acceptor, true);
  for (size_t i = 0; i < std::max<size_t>(1, state.options.threads); ++i) {
    state.threads.emplace_back([&state] { state.io.run(); });
  }
  state.started = true;
  return ports;
}

void SyslogServer::Stop() {
  State& state = *state_;
  if (!state.started) return;
  state.started = false;
  {
    // From now on no batch is stored; those in the queue's hands call back into the server's
    // threads: wait for them.
    std::unique_lock lock(state.mutex);
    state.stopping = true;
    state.idle.wait(lock, [&state] { return state.storing == 0; });
  }
  state.io.stop();
  for (auto& thread : state.threads) thread.join();
  state.threads.clear();
  boost::system::error_code ignored;
  state.acceptor.close(ignored);
  state.tls_acceptor.close(ignored);
  state.datagrams.close(ignored);
  for (const auto& weak : state.connections) {
    if (auto connection = weak.lock()) connection->Close();
  }
}

}  // namespace lp::collector
