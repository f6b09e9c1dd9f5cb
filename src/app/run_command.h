#pragma once

#include "app/config.h"

namespace lp::app {

/// `logpipe run`: the collector, the spool, the processor indexing into the embedded SQLite
/// search store and the query API in one process (the archiver joins in its own issue). Serves
/// until SIGINT/SIGTERM, then drains. Returns the exit code.
int RunEmbedded(const Config& config);

}  // namespace lp::app
