#pragma once

#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "core/file_util.h"
#include "core/metrics.h"
#include "core/result.h"
#include "http/server.h"

namespace lp::security {

/// Admin actions (replay, tokens reload, and every admin route), one JSON object per line
/// appended to AUDIT_LOG_FILE (default `<data dir>/audit.jsonl`, mode 0600):
///
///     {"time":"2025-10-30T12:34:56.789Z","action":"POST /api/replay","token":"ops",
///      "tenant":"default","query":"from=2025-10-01&to=2025-10-02","status":202}
///
/// `token` is the token's name, never the token. Each line is one write(2) on a file opened
/// with O_APPEND, so lines from several threads never interleave. Thread-safe.
class AuditLog {
 public:
  [[nodiscard]] static Result<std::unique_ptr<AuditLog>> Open(const std::filesystem::path& path,
                                                              metrics::Registry& registry);

  using Field = std::pair<std::string_view, std::string_view>;
  /// `fields` are strings; `status` is added as a number when non-zero.
  void Record(std::string_view action, std::initializer_list<Field> fields, unsigned status = 0);

 private:
  AuditLog(UniqueFd fd, std::filesystem::path path, metrics::Counter& failures);

  UniqueFd fd_;
  const std::filesystem::path path_;
  metrics::Counter& failures_;
};

/// `route` whose every request is recorded in `audit` once answered: the method and path as
/// the action, the token's name and tenant, the query string and the status. `audit` must
/// outlive the route.
[[nodiscard]] http::Route Audited(AuditLog& audit, http::Route route);

}  // namespace lp::security
