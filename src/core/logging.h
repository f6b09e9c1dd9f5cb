#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace lp {

enum class LogSeverity { kDebug, kInfo, kWarn, kError };

/// A structured field of a log line; values are quoted when they contain spaces.
using LogField = std::pair<std::string_view, std::string>;

/// One named logger per component. Lines go to stderr as
/// `2025-10-30T12:34:56.789Z INFO  collector message key=value`. Thread-safe: each line is a
/// single write.
class Logger {
 public:
  explicit Logger(std::string component) : component_(std::move(component)) {}

  void Log(LogSeverity severity, std::string_view message,
           std::initializer_list<LogField> fields = {}) const;
  void Debug(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    Log(LogSeverity::kDebug, message, fields);
  }
  void Info(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    Log(LogSeverity::kInfo, message, fields);
  }
  void Warn(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    Log(LogSeverity::kWarn, message, fields);
  }
  void Error(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    Log(LogSeverity::kError, message, fields);
  }

  /// Lines below this severity are dropped; set once at start-up.
  static void SetMinimumSeverity(LogSeverity severity);

 private:
  std::string component_;
};

}  // namespace lp
