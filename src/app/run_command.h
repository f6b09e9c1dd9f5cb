#pragma once

#include "app/config.h"

namespace lp::app {

/// `logpipe run`: the collector and the spool in one process (the processor and archiver join
/// in their own issues). Serves until SIGINT/SIGTERM, then drains. Returns the exit code.
int RunEmbedded(const Config& config);

}  // namespace lp::app
