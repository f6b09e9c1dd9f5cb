#include "collector/syslog_server.h"

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <list>
#include <mutex>
#include <thread>

#include "collector/protocols/syslog.h"
#include "core/backoff.h"
#include "core/logging.h"

namespace lp::collector {
namespace asio = boost::asio;
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

// A batch is stored once it holds this many messages or bytes, or the input ran dry.
constexpr size_t kBatchMessages = 1000;
constexpr size_t kBatchBytes = 1024 * 1024;
constexpr size_t kReadBytes = 64 * 1024;
constexpr size_t kDatagramBytes = 65536;

bool BatchFull(const DecodedBatch& batch) {
  return batch.events.size() + batch.rejected >= kBatchMessages || batch.json.size() >= kBatchBytes;
}

}  // namespace

struct SyslogServer::State {
  State(SyslogOptions options_in, IngestPipeline& pipeline_in, metrics::Registry& registry)
      : options(std::move(options_in)),
        pipeline(pipeline_in),
        protocol(pipeline_in.metrics().ForProtocol("syslog")),
        dropped(registry.AddCounter("syslog_messages_dropped_total",
                                    "Syslog messages lost, by transport and reason: "
                                    "receive_buffer (UDP, the kernel's buffer was full), "
                                    "not_stored (the pipeline refused them).",
                                    {"transport", "reason"})) {}

  void BeginStore() {
    std::lock_guard lock(mutex);
    ++storing;
  }
  void EndStore() {
    std::lock_guard lock(mutex);
    if (--storing == 0) idle.notify_all();
  }

  class Connection;
  void Accept();
  void WaitForDatagrams();
  void ReceiveDatagrams();

  const SyslogOptions options;
  IngestPipeline& pipeline;
  const ProtocolMetrics protocol;
  metrics::Family<metrics::Counter>& dropped;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  udp::socket datagrams{io};
  std::list<std::weak_ptr<Connection>> connections;  // I/O thread only
  SyslogDecoder datagram_decoder{options.decode};
  DecodedBatch datagram_batch;
  std::string datagram_buffer = std::string(kDatagramBytes, '\0');
  uint32_t kernel_drops = 0;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable idle;
  size_t storing = 0;
  bool started = false;
};

/// One TCP sender: reads, frames, decodes and stores a batch at a time.
class SyslogServer::State::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(State& state, tcp::socket socket)
      : state_(state),
        socket_(std::move(socket)),
        timer_(state.io),
        framer_(state.options.decode.event_limits.max_event_bytes),
        decoder_(state.options.decode),
        backoff_(std::chrono::milliseconds(100), std::chrono::seconds(10)) {
    decoder_.SetTenant(state_.options.tenant);
  }

  void Read() {
    char* into = framer_.Prepare(kReadBytes);
    socket_.async_read_some(
        asio::buffer(into, kReadBytes),
        [self = shared_from_this()](boost::system::error_code error, size_t received) {
          if (error == asio::error::eof) return self->Finish();
          if (error) return;  // closed, or broken
          self->framer_.Commit(received);
          self->Decode();
        });
  }

  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

 private:
  // The sender is done: a last message without its line feed is still one.
  void Finish() {
    const auto rest = framer_.Rest();
    if (rest.empty()) return;
    decoder_.Add(rest, NowMillis(), batch_);
    batch_bytes_ = rest.size();
    Admit();
  }

  void Decode() {
    const EpochMillis now = NowMillis();
    batch_bytes_ = 0;
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
    state_.BeginStore();
    state_.pipeline.Store(state_.protocol, state_.options.tenant, batch_,
                          [self = shared_from_this()](const StoreOutcome& outcome) {
                            asio::post(self->state_.io, [self, outcome] { self->Stored(outcome); });
                            self->state_.EndStore();
                          });
  }

  void Stored(const StoreOutcome& outcome) {
    if (!socket_.is_open()) return;
    switch (outcome.kind) {
      case StoreOutcome::Kind::kStored:
        attempt_ = 0;
        break;
      case StoreOutcome::Kind::kRetryLater:
      case StoreOutcome::Kind::kRateLimited:
        // Not reading meanwhile: the sender's writes block once the socket buffers are full.
        return After(outcome, [this] { Store(); });
      case StoreOutcome::Kind::kFailed:
        state_.dropped.WithLabels({"tcp", "not_stored"}).Increment(batch_.events.size());
        break;
    }
    batch_.Clear();
    Decode();
  }

  template <typename Again>
  void After(const StoreOutcome& outcome, Again again) {
    const auto wait = outcome.kind == StoreOutcome::Kind::kRateLimited
                          ? std::chrono::milliseconds(outcome.retry_after)
                          : backoff_.Next(attempt_++);
    timer_.expires_after(wait);
    timer_.async_wait([self = shared_from_this(), again](boost::system::error_code error) {
      if (!error && self->socket_.is_open()) again();
    });
  }

  State& state_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  SyslogFramer framer_;
  SyslogDecoder decoder_;
  DecodedBatch batch_;
  size_t batch_bytes_ = 0;
  Backoff backoff_;
  int attempt_ = 0;
};

void SyslogServer::State::Accept() {
  acceptor.async_accept([this](boost::system::error_code error, tcp::socket socket) {
    if (error) {
      if (error == asio::error::operation_aborted || !acceptor.is_open()) return;
      Log().Warn("syslog accept failed", {{"error", error.message()}});
      return Accept();
    }
    auto connection = std::make_shared<Connection>(*this, std::move(socket));
    connections.remove_if([](const auto& weak) { return weak.expired(); });
    connections.push_back(connection);
    connection->Read();
    Accept();
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
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint32_t))];
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
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
  BeginStore();
  // The next datagrams are read once this batch is stored: meanwhile the kernel buffers them.
  pipeline.Store(protocol, options.tenant, datagram_batch,
                 [this, messages = datagram_batch.events.size()](const StoreOutcome& outcome) {
                   if (outcome.kind != StoreOutcome::Kind::kStored) {
                     dropped.WithLabels({"udp", "not_stored"}).Increment(messages);
                   }
                   asio::post(io, [this] { WaitForDatagrams(); });
                   EndStore();
                 });
}

SyslogServer::SyslogServer(SyslogOptions options, IngestPipeline& pipeline,
                           metrics::Registry& registry)
    : state_(std::make_unique<State>(std::move(options), pipeline, registry)) {
  state_->datagram_decoder.SetTenant(state_->options.tenant);
}

SyslogServer::~SyslogServer() { Stop(); }

Result<void> SyslogServer::Start() {
  State& state = *state_;
  boost::system::error_code error;
  const auto address = asio::ip::make_address(state.options.address, error);
  if (error) return Permanent("syslog: bad address " + state.options.address);
  const tcp::endpoint stream_endpoint(address, state.options.port);
  state.acceptor.open(stream_endpoint.protocol(), error);
  if (!error) state.acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) state.acceptor.bind(stream_endpoint, error);
  if (!error) state.acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return Permanent("syslog: cannot listen on TCP " + state.options.address + ":" +
                     std::to_string(state.options.port) + ": " + error.message());
  }
  const uint16_t port = state.acceptor.local_endpoint().port();
  const udp::endpoint datagram_endpoint(address, port);
  state.datagrams.open(datagram_endpoint.protocol(), error);
  if (!error) state.datagrams.bind(datagram_endpoint, error);
  if (error) {
    return Permanent("syslog: cannot bind UDP " + state.options.address + ":" +
                     std::to_string(port) + ": " + error.message());
  }
  const int on = 1;
  if (setsockopt(state.datagrams.native_handle(), SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) != 0) {
    return Permanent("syslog: cannot count UDP drops (SO_RXQ_OVFL)");
  }
  state.Accept();
  state.WaitForDatagrams();
  state.thread = std::thread([&state] { state.io.run(); });
  state.started = true;
  return {};
}

uint16_t SyslogServer::port() const { return state_->acceptor.local_endpoint().port(); }

void SyslogServer::Stop() {
  State& state = *state_;
  if (!state.started) return;
  state.started = false;
  // Closed on the I/O thread, and waited for: from then on no handler starts a new store.
  std::promise<void> closed;
  asio::post(state.io, [&state, &closed] {
    boost::system::error_code ignored;
    state.acceptor.close(ignored);
    state.datagrams.close(ignored);
    for (const auto& weak : state.connections) {
      if (auto connection = weak.lock()) connection->Close();
    }
    closed.set_value();
  });
  closed.get_future().wait();
  {
    // Batches in the queue's hands call back into the I/O thread: wait for them.
    std::unique_lock lock(state.mutex);
    state.idle.wait(lock, [&state] { return state.storing == 0; });
  }
  state.io.stop();
  state.thread.join();
}

}  // namespace lp::collector
