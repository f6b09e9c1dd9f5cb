#include "security/audit_log.h"

#include <fcntl.h>

#include <chrono>

#include "core/json_escape.h"
#include "core/logging.h"
#include "core/timestamp.h"

namespace lp::security {
namespace {

const Logger& Log() {
  static const Logger logger("audit");
  return logger;
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::filesystem::path& path,
                                                 metrics::Registry& registry) {
  std::error_code ignored;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ignored);
  auto fd = OpenFile(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (!fd) return Permanent("AUDIT_LOG_FILE " + path.string() + ": " + fd.error().message);
  auto& failures = registry
                       .AddCounter("audit_write_failures_total",
                                   "Audit lines that could not be written to AUDIT_LOG_FILE.")
                       .WithLabels({});
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(*fd), path, failures));
}

AuditLog::AuditLog(UniqueFd fd, std::filesystem::path path, metrics::Counter& failures)
    : fd_(std::move(fd)), path_(std::move(path)), failures_(failures) {}

void AuditLog::Record(std::string_view action, std::initializer_list<Field> fields,
                      unsigned status) {
  std::string line = "{\"time\":\"";
  AppendRfc3339Millis(line, std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  line += "\",\"action\":\"";
  AppendJsonEscaped(line, action);
  line += '"';
  for (const auto& [name, value] : fields) {
    line += ",\"";
    AppendJsonEscaped(line, name);
    line += "\":\"";
    AppendJsonEscaped(line, value);
    line += '"';
  }
  if (status != 0) line += ",\"status\":" + std::to_string(status);
  line += "}\n";
  if (auto written = WriteAll(fd_.get(), line); !written) {
    failures_.Increment();
    Log().Error("cannot write the audit log",
                {{"path", path_.string()}, {"error", written.error().message}});
  }
}

http::Route Audited(AuditLog& audit, http::Route route) {
  route.handler = [&audit, action = route.method + " " + route.path,
                   handler = std::move(route.handler)](http::Request& request,
                                                       http::Responder respond) {
    auto recorded = [&audit, action, token = request.principal, tenant = request.tenant,
                     query = request.query,
                     respond = std::move(respond)](http::Response response) mutable {
      audit.Record(action, {{"token", token}, {"tenant", tenant}, {"query", query}},
                   response.status);
      respond(std::move(response));
    };
    handler(request, std::move(recorded));
  };
  return route;
}

}  // namespace lp::security
