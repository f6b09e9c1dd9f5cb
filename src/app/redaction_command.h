#pragma once

#include <string>

#include "app/server_flags.h"

namespace lp::app {

struct RedactionDryRunOptions {
  std::string sample = "-";  ///< A file of events (a JSON object, array or NDJSON); `-`: stdin.
  ServerFlags server;
  unsigned timeout_seconds = 30;  ///< Bounds the request, connecting included.
  bool json = false;              ///< Print the server's answer as it is.
};

/// `logpipe redaction dry-run [FILE]`: sends sample events to a running collector's
/// POST /api/redaction/dry-run (admin scope) and prints, for each, what its redaction rules
/// would change (rule, field, action) and the event as it would be queued. Nothing is stored.
/// Exit 0 when at least one event was valid, 1 otherwise.
int RedactionDryRun(const RedactionDryRunOptions& options);

}  // namespace lp::app
