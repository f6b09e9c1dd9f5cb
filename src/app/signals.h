#pragma once

#include <functional>

namespace lp::app {

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it starts
/// afterwards, so that only WaitForTerminationSignal sees them. Servers only, before they start
/// a thread; command-line tools keep the default actions (Ctrl-C stops them).
void BlockTerminationSignals();

/// Waits for SIGINT or SIGTERM and returns its number; each SIGHUP meanwhile calls `on_hangup`
/// (reloading what can be reloaded) on the calling thread.
int WaitForTerminationSignal(const std::function<void()>& on_hangup);

}  // namespace lp::app
