#include "app/signals.h"

#include <pthread.h>
#include <signal.h>

namespace lp::app {
namespace {

sigset_t TerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

}  // namespace

void BlockTerminationSignals() {
  const sigset_t signals = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client that goes away mid-response must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

int WaitForTerminationSignal(const std::function<void()>& on_hangup) {
  const sigset_t signals = TerminationSignals();
  while (true) {
    int received = 0;
    if (sigwait(&signals, &received) != 0) continue;
    if (received != SIGHUP) return received;
    on_hangup();
  }
}

}  // namespace lp::app
