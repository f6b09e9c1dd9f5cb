#pragma once

#include <memory>

#include "queue/queue.h"

namespace lp::queue::testing {

/// Test-only fault injection: a queue whose consumers never receive anything (each Poll waits
/// its timeout and returns no records), while producing goes through to the wrapped queue. It
/// gives overload tests their backpressure deterministically (the queue fills because nothing
/// is consumed) instead of hoping the consumers are slower than the load generator.
///
/// Only test builds wire it in (LOGPIPE_FAULT_INJECTION, see src/app/components.cc).
[[nodiscard]] std::unique_ptr<Queue> StallConsumers(std::unique_ptr<Queue> queue);

}  // namespace lp::queue::testing
