#include "core/process_metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>

namespace lp::metrics {
namespace {

std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

TEST(ProcessMetricsTest, ExportsTheStandardProcessSeries) {
  Registry registry;
  RegisterProcessMetrics(registry);
  const std::string text = registry.RenderText();
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge"), std::string::npos);
  auto samples = Samples(text);
  EXPECT_GT(samples["process_resident_memory_bytes"], 1 << 20);
  EXPECT_GE(samples["process_virtual_memory_bytes"], samples["process_resident_memory_bytes"]);
  EXPECT_GE(samples["process_open_fds"], 3);
  EXPECT_GE(samples["process_max_fds"], samples["process_open_fds"]);
  EXPECT_GE(samples["process_cpu_seconds_total"], 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(samples["process_start_time_seconds"], now + 1);
  EXPECT_GT(samples["process_start_time_seconds"], now - 3600);

  // Burn some CPU: the counter is read at each scrape, not at registration.
  volatile double sink = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < until) sink = sink + 1;
  EXPECT_GT(Samples(registry.RenderText())["process_cpu_seconds_total"],
            samples["process_cpu_seconds_total"]);
}

}  // namespace
}  // namespace lp::metrics
