#include "core/logging.h"

#include <unistd.h>

#include <atomic>
#include <chrono>

#include "core/timestamp.h"

namespace lp {
namespace {

std::atomic<LogSeverity> minimum_severity{LogSeverity::kInfo};

std::string_view SeverityName(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kDebug:
      return "DEBUG";
    case LogSeverity::kInfo:
      return "INFO ";
    case LogSeverity::kWarn:
      return "WARN ";
    case LogSeverity::kError:
      return "ERROR";
  }
  return "INFO ";
}

}  // namespace

void Logger::SetMinimumSeverity(LogSeverity severity) { minimum_severity.store(severity); }

void Logger::Log(LogSeverity severity, std::string_view message,
                 std::initializer_list<LogField> fields) const {
  if (severity < minimum_severity.load(std::memory_order_relaxed)) return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string line = FormatRfc3339Millis(now);
  line += ' ';
  line += SeverityName(severity);
  line += ' ';
  line += component_;
  line += ' ';
  line += message;
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    if (value.find_first_of(" \t\"") != std::string::npos || value.empty()) {
      line += '"';
      for (const char c : value) {
        if (c == '"' || c == '\\') line += '\\';
        line += c;
      }
      line += '"';
    } else {
      line += value;
    }
  }
  line += '\n';
  // A failed write to stderr has nowhere to be reported.
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace lp
