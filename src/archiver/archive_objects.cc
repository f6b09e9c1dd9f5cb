#include "archiver/archive_objects.h"

#include <chrono>
#include <cstdio>
#include <map>

#include "core/offset_runs.h"
#include "core/timestamp.h"

namespace lp::archiver {
namespace {

// "YYYY/MM/DD/" of a time, in UTC.
std::string DateFolder(int64_t time_ms) {
  const std::chrono::sys_time<std::chrono::milliseconds> time{std::chrono::milliseconds{time_ms}};
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(time)};
  char folder[32];
  std::snprintf(folder, sizeof folder, "%04d/%02u/%02u/", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return folder;
}

// "tenant=<name>/" of an event's tenant; empty for the default tenant, for none (authentication
// off) and for a name no token could have (a record produced by something else than the
// collector), which all keep the layout of an archive without tenants.
std::string TenantFolder(std::string_view tenant) {
  if (tenant.empty() || tenant == "default" || tenant.size() > 64 || tenant == "." ||
      tenant == ".." ||
      tenant.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
          std::string_view::npos) {
    return {};
  }
  return "tenant=" + std::string(tenant) + "/";
}

// Object metadata stays small (S3 allows 2 KiB in all): an object ends after this many runs of
// consecutive offsets, and the next one starts at the following record of its date.
constexpr size_t kMaxOffsetRuns = 32;

}  // namespace

std::string ArchiveObjectBuilder::Folder(const queue::ConsumedRecord& record) {
  simdjson::dom::element root;
  int64_t time_ms = record.timestamp_ms;
  std::string_view tenant;
  if (parser_.parse(record.value).get(root) == simdjson::SUCCESS) {
    std::string_view timestamp;
    if (root["timestamp"].get_string().get(timestamp) == simdjson::SUCCESS) {
      if (const auto parsed = ParseRfc3339(timestamp)) time_ms = *parsed;
    }
    if (root["tenant"].get_string().get(tenant) != simdjson::SUCCESS) tenant = {};
  }
  return TenantFolder(tenant) + DateFolder(time_ms);
}

std::vector<ArchiveObject> ArchiveObjectBuilder::Build(
    std::span<const queue::ConsumedRecord> records, std::string_view key_suffix) {
  std::map<std::string, std::vector<const queue::ConsumedRecord*>> by_folder;
  for (const auto& record : records) {
    // A copy (a replay, a re-driven dead letter): the archive holds its original already.
    if (queue::FindHeader(record.headers, queue::kOriginalIdHeader) != nullptr) continue;
    by_folder[Folder(record)].push_back(&record);
  }

  std::vector<ArchiveObject> objects;
  const auto add_object = [&](const std::string& folder,
                              std::span<const queue::ConsumedRecord* const> members,
                              std::string line_offsets) {
    const auto& first = *members.front();
    char offset[24];
    std::snprintf(offset, sizeof offset, "%020lld", static_cast<long long>(first.offset));
    ArchiveObject object;
    object.key = folder + first.topic + "-" + std::to_string(first.partition) + "-" + offset +
                 std::string(key_suffix);
    size_t bytes = 0;
    for (const auto* record : members) bytes += record->value.size() + 1;
    object.ndjson.reserve(bytes);
    for (const auto* record : members) {
      object.ndjson += record->value;
      object.ndjson.push_back('\n');
    }
    object.metadata = {{"topic", first.topic},
                       {"partition", std::to_string(first.partition)},
                       {"first-offset", std::to_string(first.offset)},
                       {"last-offset", std::to_string(members.back()->offset)},
                       {"count", std::to_string(members.size())},
                       {"line-offsets", std::move(line_offsets)}};
    objects.push_back(std::move(object));
  };
  for (const auto& [folder, members] : by_folder) {
    // Runs of consecutive offsets of the object being built: `first-last`, or one offset.
    std::vector<OffsetRun> runs;
    size_t begin = 0;
    const auto close = [&](size_t end) {
      add_object(folder, std::span(members).subspan(begin, end - begin), FormatOffsetRuns(runs));
      runs.clear();
      begin = end;
    };
    for (size_t i = 0; i < members.size(); ++i) {
      const int64_t offset = members[i]->offset;
      if (!runs.empty() && offset == runs.back().second + 1) {
        runs.back().second = offset;
        continue;
      }
      if (runs.size() == kMaxOffsetRuns) close(i);
      runs.emplace_back(offset, offset);
    }
    close(members.size());
  }
  return objects;
}

}  // namespace lp::archiver
