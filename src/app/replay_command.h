#pragma once

#include <optional>
#include <string>

#include "app/server_flags.h"

namespace lp::app {

struct ReplayCommandOptions {
  std::string from;
  std::string to;
  std::optional<std::string> service;
  ServerFlags server;
  unsigned timeout_seconds = 30;  ///< Bounds each request, connecting included.
};

/// `logpipe replay`: asks the instance at `server` to re-index its archive of a date range and
/// shows the progress until it is done. Exit 0 when done, 1 when it failed or was refused.
int Replay(const ReplayCommandOptions& options);

}  // namespace lp::app
