#pragma once

#include "core/metrics.h"

namespace lp::metrics {

/// The standard `process_*` series Prometheus' client libraries export, read from /proc when
/// scraped: process_cpu_seconds_total, process_resident_memory_bytes,
/// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds.
void RegisterProcessMetrics(Registry& registry);

}  // namespace lp::metrics
