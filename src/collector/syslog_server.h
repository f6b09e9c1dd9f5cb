#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "collector/batch_builder.h"
#include "collector/ingest_pipeline.h"
#include "core/metrics.h"
#include "core/result.h"

namespace lp::collector {

struct SyslogOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;   ///< TCP and UDP; 0 picks a free TCP port and binds UDP to the same.
  std::string tenant;  ///< Set on every event (SYSLOG_TENANT); empty: none.
  DecodeOptions decode{};
};

/// Syslog over TCP (RFC 6587: octet counting and line feed framing) and UDP (a message per
/// datagram) on one port, decoded by SyslogDecoder and stored through the IngestPipeline. TCP
/// gets backpressure by not reading: a connection reads on only once its batch is stored, and
/// waits out a full queue or its tenant's rate (Retry-After, else backoff) before storing it
/// again. UDP cannot wait: datagrams the pipeline did not store and those the kernel dropped from
/// a full receive buffer (SO_RXQ_OVFL) count in `syslog_messages_dropped_total{transport,reason}`.
///
/// One I/O thread of its own. Start and Stop from one thread; Stop (also the destructor) closes
/// the sockets and waits for batches being stored, so the pipeline must outlive it.
class SyslogServer {
 public:
  SyslogServer(SyslogOptions options, IngestPipeline& pipeline, metrics::Registry& registry);
  ~SyslogServer();
  SyslogServer(const SyslogServer&) = delete;
  SyslogServer& operator=(const SyslogServer&) = delete;

  /// Binds both sockets and starts serving; an error names what could not be bound.
  [[nodiscard]] Result<void> Start();
  /// The port both sockets listen on, once started.
  [[nodiscard]] uint16_t port() const;
  void Stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lp::collector
