#include "core/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace lp::metrics {
namespace {

// The fields of /proc/self/stat after the command name, which may itself hold spaces.
std::vector<std::string> StatFields() {
  std::ifstream file("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto end_of_name = text.rfind(')');
  std::vector<std::string> fields;
  if (end_of_name == std::string::npos) return fields;
  std::istringstream rest(text.substr(end_of_name + 1));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

// man 5 proc numbers the fields from 1 with pid and comm first; StatFields starts at field 3.
double Field(const std::vector<std::string>& fields, int number) {
  const size_t index = static_cast<size_t>(number - 3);
  return index < fields.size() ? std::stod(fields[index]) : 0;
}

double StatField(int number) { return Field(StatFields(), number); }

}  // namespace

void RegisterProcessMetrics(Registry& registry) {
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page_bytes = static_cast<double>(::sysconf(_SC_PAGESIZE));
  // Boot time plus the start in ticks after boot, fixed for the process's life.
  const double start_time = [&] {
    std::ifstream file("/proc/stat");
    double boot = 0;
    for (std::string key; file >> key;) {
      if (key == "btime") {
        file >> boot;
        break;
      }
    }
    return boot + StatField(22) / ticks;
  }();
  registry.AddSampled("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                      MetricType::kCounter, [ticks] {
                        const auto fields = StatFields();  // One read for both times.
                        return (Field(fields, 14) + Field(fields, 15)) / ticks;
                      });
  registry.AddSampled("process_resident_memory_bytes", "Resident memory size in bytes.",
                      MetricType::kGauge, [page_bytes] { return StatField(24) * page_bytes; });
  registry.AddSampled("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                      MetricType::kGauge, [] { return StatField(23); });
  registry.AddSampled(
      "process_open_fds", "Number of open file descriptors.", MetricType::kGauge, [] {
        std::error_code error;
        double count = 0;
        for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
             !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
          ++count;
        }
        return count;
      });
  registry.AddSampled("process_max_fds", "Maximum number of open file descriptors.",
                      MetricType::kGauge, [] {
                        rlimit limit{};
                        ::getrlimit(RLIMIT_NOFILE, &limit);
                        return static_cast<double>(limit.rlim_cur);
                      });
  registry.AddSampled("process_start_time_seconds",
                      "Start time of the process since unix epoch in seconds.", MetricType::kGauge,
                      [start_time] { return start_time; });
}

}  // namespace lp::metrics
