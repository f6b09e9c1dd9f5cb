#include "collector/protobuf_log.h"

#include <google/protobuf/stubs/logging.h>

#include <atomic>
#include <chrono>
#include <string>

#include "core/logging.h"

namespace lp::collector {
namespace {

constexpr std::chrono::milliseconds kLogInterval = std::chrono::minutes(1);

std::atomic<uint64_t> messages{0};
std::atomic<int64_t> next_line_ms{0};  // Steady-clock time before which nothing is logged.

void CountAndMaybeLog(google::protobuf::LogLevel level, const char* file, int line,
                      const std::string& message) {
  const uint64_t count = messages.fetch_add(1, std::memory_order_relaxed) + 1;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  int64_t next_ms = next_line_ms.load(std::memory_order_relaxed);
  // A FATAL message comes before libprotobuf aborts: it is always logged.
  if (level != google::protobuf::LOGLEVEL_FATAL &&
      (now_ms < next_ms ||
       !next_line_ms.compare_exchange_strong(next_ms, now_ms + kLogInterval.count()))) {
    return;
  }
  Logger("protobuf")
      .Warn(message,
            {{"source", std::string(file) + ":" + std::to_string(line)},
             {"messages_so_far", std::to_string(count)},
             {"next_line", "in a minute at the earliest (see protobuf_log_messages_total)"}});
}

}  // namespace

void InstallProtobufLogHandler() { google::protobuf::SetLogHandler(&CountAndMaybeLog); }

uint64_t ProtobufLogMessages() { return messages.load(std::memory_order_relaxed); }

}  // namespace lp::collector
