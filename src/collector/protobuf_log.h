#pragma once

#include <cstdint>

namespace lp::collector {

/// libprotobuf writes a line to stderr for each message it logs: an ERROR for every string
/// field with invalid UTF-8 that a client sends (OTLP and Loki protobuf), so one client could
/// flood the log. Called once at process start, this routes libprotobuf's messages here: each
/// is counted (ProtobufLogMessages, the metric `protobuf_log_messages_total`) and at most one
/// line per minute is logged, with the count so far. Thread-safe.
void InstallProtobufLogHandler();

/// The messages libprotobuf logged since the handler was installed.
[[nodiscard]] uint64_t ProtobufLogMessages();

}  // namespace lp::collector
