#pragma once

namespace lp::app {

/// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards, so that
/// only WaitForTerminationSignal sees them. Call first thing in main.
void BlockTerminationSignals();

/// Waits for SIGINT or SIGTERM and returns its number.
int WaitForTerminationSignal();

}  // namespace lp::app
