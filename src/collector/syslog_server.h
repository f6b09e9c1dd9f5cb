#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "collector/batch_builder.h"
#include "collector/ingest_pipeline.h"
#include "core/metrics.h"
#include "core/result.h"

namespace lp::http {
class ServerTls;
}  // namespace lp::http

namespace lp::collector {

struct SyslogOptions {
  std::string address = "127.0.0.1";
  /// TCP and UDP (SYSLOG_PORT); unset: neither. 0 picks a free TCP port and binds UDP to it.
  std::optional<uint16_t> port{};
  /// TCP over TLS, RFC 5425 (SYSLOG_TLS_PORT); unset: none. 0 picks a free one. Needs `tls`.
  std::optional<uint16_t> tls_port{};
  /// The certificate (and client CA, for mutual TLS) every listener of the process presents;
  /// a connection is accepted with the context current at that moment (a reload applies to the
  /// next ones).
  std::shared_ptr<const http::ServerTls> tls{};
  /// Threads serving the sockets: each TCP connection reads, frames, decodes and stores on one
  /// of them at a time, so connections are decoded in parallel.
  size_t threads = 2;
  std::string tenant;  ///< Set on every event (SYSLOG_TENANT); empty: none.
  DecodeOptions decode{};
};

/// Syslog over TCP (RFC 6587: octet counting and line feed framing), over TLS (RFC 5425: the
/// same framing inside TLS; octet counting is what the RFC asks of senders) and over UDP (a
/// message per datagram), decoded by SyslogDecoder and stored through the IngestPipeline.
/// TCP gets backpressure by not reading: a connection reads on only once its batch is stored,
/// and waits out a full queue or its tenant's rate (Retry-After, else backoff) before storing
/// it again. UDP cannot wait: datagrams the pipeline did not store and those the kernel dropped
/// from a full receive buffer (SO_RXQ_OVFL) count in
/// `syslog_messages_dropped_total{transport,reason}`. TLS handshakes that fail or take longer
/// than 10 s count in `syslog_tls_handshake_failures_total{reason}`.
///
/// Threads of its own (`threads`), each connection on a strand. Start and Stop from one thread;
/// Stop (also the destructor) stops storing, waits for batches being stored and closes the
/// sockets, so the pipeline must outlive it.
class SyslogServer {
 public:
  SyslogServer(SyslogOptions options, IngestPipeline& pipeline, metrics::Registry& registry);
  ~SyslogServer();
  SyslogServer(const SyslogServer&) = delete;
  SyslogServer& operator=(const SyslogServer&) = delete;

  /// The ports listened on, of those configured.
  struct Ports {
    std::optional<uint16_t> plain;  ///< TCP and UDP.
    std::optional<uint16_t> tls;
  };
  /// Binds the configured sockets and starts serving; an error names what could not be bound.
  [[nodiscard]] Result<Ports> Start();
  void Stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lp::collector
