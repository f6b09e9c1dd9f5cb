#pragma once

#include <cstddef>
#include <string>

#include "app/config.h"

namespace lp::app {

struct SpoolReadOptions {
  std::string group;
  std::string topic = "app-logs";
  size_t max_records = SIZE_MAX;
  bool commit = true;
};

/// `logpipe spool read`: an operator's tool over a stopped instance's spool. Reads what a
/// consumer group has not consumed yet, prints it as NDJSON and commits it (unless told not to).
int ReadSpool(const Config& config, const SpoolReadOptions& options);

}  // namespace lp::app
