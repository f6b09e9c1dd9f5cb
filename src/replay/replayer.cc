#include "replay/replayer.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <future>

#include "core/backoff.h"
#include "core/decompress.h"
#include "core/file_util.h"
#include "core/json_escape.h"
#include "core/logging.h"
#include "core/offset_runs.h"

namespace lp::replay {
namespace {

constexpr size_t kBatch = 1000;
// A full or unreachable queue is waited out, as the collector's clients would, until stopped.
constexpr RetryPolicy kProduceRetry{.initial_backoff = std::chrono::milliseconds(100),
                                    .max_backoff = std::chrono::seconds(5)};
// Archive objects are batches of raw events; anything past this is not one of ours.
constexpr size_t kMaxObjectBytes = 1ULL << 30;
constexpr size_t kKeptJobs = 100;

const Logger& Log() {
  static const Logger logger("replay");
  return logger;
}

// The number a folder name "2025/" or "2025/10/" ends with, or -1.
int LastNumber(std::string_view folder) {
  if (folder.ends_with('/')) folder.remove_suffix(1);
  const auto slash = folder.rfind('/');
  if (slash != std::string_view::npos) folder.remove_prefix(slash + 1);
  if (folder.empty() || folder.size() > 4) return -1;
  int value = 0;
  for (const char c : folder) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

// A day as yyyymmdd, for comparing folder dates with the requested range.
int DayNumber(std::chrono::sys_days day) {
  const std::chrono::year_month_day date{day};
  return static_cast<int>(date.year()) * 10000 + static_cast<int>(unsigned(date.month())) * 100 +
         static_cast<int>(unsigned(date.day()));
}

std::string FormatDate(std::chrono::sys_days day) {
  const std::chrono::year_month_day date{day};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

void AppendString(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":\"";
  AppendJsonEscaped(out, value);
  out += '"';
}

void AppendNumber(std::string& out, std::string_view key, uint64_t value) {
  out += ",\"";
  out += key;
  out += "\":";
  out += std::to_string(value);
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::chrono::sys_days> ParseDate(std::string_view text) {
  const auto bad = [&] {
    return Permanent("a date must look like 2025-10-30, not \"" + std::string(text) + "\"");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8};
  const size_t lengths[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (size_t j = starts[i]; j < starts[i] + lengths[i]; ++j) {
      if (text[j] < '0' || text[j] > '9') return bad();
      parts[i] = parts[i] * 10 + (text[j] - '0');
    }
  }
  const std::chrono::year_month_day date{std::chrono::year{parts[0]},
                                         std::chrono::month{static_cast<unsigned>(parts[1])},
                                         std::chrono::day{static_cast<unsigned>(parts[2])}};
  if (!date.ok()) return bad();
  return std::chrono::sys_days{date};
}

namespace {

std::optional<uint64_t> JobNumber(std::string_view id) {
  constexpr std::string_view kPrefix = "replay-";
  if (!id.starts_with(kPrefix)) return std::nullopt;
  id.remove_prefix(kPrefix.size());
  uint64_t number = 0;
  const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), number);
  if (error != std::errc{} || end != id.data() + id.size()) return std::nullopt;
  return number;
}

}  // namespace

Replayer::Replayer(objectstore::ObjectStore& archive, std::string bucket, queue::Producer& queue,
                   std::string topic, std::filesystem::path state_file)
    : archive_(archive),
      bucket_(std::move(bucket)),
      queue_(queue),
      topic_(std::move(topic)),
      state_file_(std::move(state_file)) {
  Load();
  std::lock_guard lock(mutex_);
  for (const auto& [number, job] : jobs_) {
    if (job.status.state != "running") continue;
    Log().Info("replay resumed after a restart",
               {{"id", job.status.id}, {"objects_done", std::to_string(job.status.objects_done)}});
    Launch(job.status.id);
    break;
  }
}

void Replayer::Load() {
  if (!std::filesystem::exists(state_file_)) return;
  const auto text = ReadWholeFile(state_file_);
  simdjson::dom::parser parser;
  simdjson::dom::element state;
  simdjson::dom::array jobs;
  uint64_t next_id = 0;
  const auto unreadable = [&](std::string_view why) {
    Log().Error("replay state unreadable: earlier jobs are forgotten",
                {{"file", state_file_.string()}, {"error", std::string(why)}});
    jobs_.clear();
  };
  if (!text) return unreadable(text.error().message);
  if (parser.parse(*text).get(state) != simdjson::SUCCESS ||
      state["next_id"].get_uint64().get(next_id) != simdjson::SUCCESS ||
      state["jobs"].get_array().get(jobs) != simdjson::SUCCESS) {
    return unreadable("not the JSON replay state");
  }
  for (const auto element : jobs) {
    Job job;
    std::string_view id, from, to, job_state, error, last_key, service;
    const bool read =
        element["id"].get_string().get(id) == simdjson::SUCCESS &&
        element["from"].get_string().get(from) == simdjson::SUCCESS &&
        element["to"].get_string().get(to) == simdjson::SUCCESS &&
        element["state"].get_string().get(job_state) == simdjson::SUCCESS &&
        element["error"].get_string().get(error) == simdjson::SUCCESS &&
        element["last_key"].get_string().get(last_key) == simdjson::SUCCESS &&
        element["objects_total"].get_uint64().get(job.status.objects_total) == simdjson::SUCCESS &&
        element["objects_done"].get_uint64().get(job.status.objects_done) == simdjson::SUCCESS &&
        element["events_queued"].get_uint64().get(job.status.events_queued) == simdjson::SUCCESS &&
        element["events_skipped"].get_uint64().get(job.status.events_skipped) == simdjson::SUCCESS;
    const auto number = JobNumber(id);
    const auto from_day = ParseDate(from);
    const auto to_day = ParseDate(to);
    if (!read || !number || !from_day || !to_day) return unreadable("a job is incomplete");
    if (element["service"].get_string().get(service) == simdjson::SUCCESS) {
      job.request.service = std::string(service);
    }
    job.status.id = id;
    job.status.state = job_state;
    job.status.error = error;
    job.request.from = *from_day;
    job.request.to = *to_day;
    job.last_key = last_key;
    jobs_[*number] = std::move(job);
  }
  next_id_ = std::max<uint64_t>(next_id, jobs_.empty() ? 1 : jobs_.rbegin()->first + 1);
}

void Replayer::Save() {
  std::string out = "{\"next_id\":" + std::to_string(next_id_) + ",\"jobs\":[";
  for (const auto& [number, job] : jobs_) {
    if (out.back() != '[') out += ',';
    out += "{\"v\":1";
    AppendString(out, "id", job.status.id);
    AppendString(out, "from", FormatDate(job.request.from));
    AppendString(out, "to", FormatDate(job.request.to));
    if (job.request.service) AppendString(out, "service", *job.request.service);
    AppendString(out, "state", job.status.state);
    AppendString(out, "error", job.status.error);
    AppendString(out, "last_key", job.last_key);
    AppendNumber(out, "objects_total", job.status.objects_total);
    AppendNumber(out, "objects_done", job.status.objects_done);
    AppendNumber(out, "events_queued", job.status.events_queued);
    AppendNumber(out, "events_skipped", job.status.events_skipped);
    out += '}';
  }
  out += "]}\n";
  if (auto saved = ReplaceFileAtomically(state_file_, out); !saved) {
    Log().Warn("replay state not saved: a restart would forget this progress",
               {{"file", state_file_.string()}, {"error", saved.error().message}});
  }
}

Replayer::~Replayer() { Stop(); }

void Replayer::Stop() {
  std::jthread worker;
  {
    std::lock_guard lock(mutex_);
    worker = std::move(worker_);
  }
  // Asks it to stop, then joins (outside the lock: the job updates its status under it).
}

Result<std::string> Replayer::Start(ReplayRequest request) {
  std::jthread finished;
  std::lock_guard lock(mutex_);
  if (!running_.empty()) {
    return Retryable("replay " + running_ + " is running; one replay runs at a time");
  }
  finished = std::move(worker_);  // Done already: joined when this returns.
  const uint64_t number = next_id_++;
  std::string id = "replay-" + std::to_string(number);
  jobs_[number] =
      Job{.status = ReplayStatus{.id = id}, .request = std::move(request), .last_key = ""};
  while (jobs_.size() > kKeptJobs) jobs_.erase(jobs_.begin());
  Save();
  Launch(id);
  return id;
}

void Replayer::Launch(const std::string& id) {
  running_ = id;
  worker_ = std::jthread([this, id](std::stop_token stop) { Run(stop, id); });
}

std::optional<ReplayStatus> Replayer::Status(const std::string& id) const {
  const auto number = JobNumber(id);
  if (!number) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto found = jobs_.find(*number);
  if (found == jobs_.end()) return std::nullopt;
  return found->second.status;
}

void Replayer::Update(const std::string& id, const std::function<void(Job&)>& change,
                      bool persist) {
  std::lock_guard lock(mutex_);
  auto& job = jobs_.at(*JobNumber(id));
  change(job);
  if (job.status.state != "running") running_.clear();
  if (persist) Save();
}

Result<std::vector<std::string>> Replayer::ListObjects(std::stop_token stop,
                                                       const ReplayRequest& request) {
  const int first = DayNumber(request.from);
  const int last = DayNumber(request.to);
  const auto folders = [&](std::string_view prefix) -> Result<std::vector<std::string>> {
    if (stop.stop_requested()) return Retryable("stopped");
    auto listed = archive_.ListFolders(bucket_, prefix);
    if (!listed && listed.error().error_class == ErrorClass::kNotFound) {
      return std::vector<std::string>{};
    }
    return listed;
  };
  // The default tenant's days at the top, every other tenant's under its `tenant=<name>/`.
  std::vector<std::string> roots{""};
  auto top = folders("");
  if (!top) return tl::unexpected(top.error());
  for (const auto& folder : *top) {
    if (folder.starts_with("tenant=")) roots.push_back(folder);
  }
  std::vector<std::string> keys;
  for (const auto& root : roots) {
    auto years = root.empty() ? std::move(top) : folders(root);
    if (!years) return tl::unexpected(years.error());
    for (const auto& year_folder : *years) {
      const int year = LastNumber(year_folder);
      if (year < first / 10000 || year > last / 10000) continue;
      auto months = folders(year_folder);
      if (!months) return tl::unexpected(months.error());
      for (const auto& month_folder : *months) {
        const int month = year * 100 + LastNumber(month_folder);
        if (month < first / 100 || month > last / 100) continue;
        auto days = folders(month_folder);
        if (!days) return tl::unexpected(days.error());
        for (const auto& day_folder : *days) {
          const int day = month * 100 + LastNumber(day_folder);
          if (day < first || day > last) continue;
          if (stop.stop_requested()) return Retryable("stopped");
          auto listed = archive_.List(bucket_, day_folder);
          if (!listed) return tl::unexpected(listed.error());
          keys.insert(keys.end(), listed->begin(), listed->end());
        }
      }
    }
  }
  // Read in key order, whatever order the store lists in: a resumed job skips exactly the keys
  // up to its last one done.
  std::sort(keys.begin(), keys.end());
  return keys;
}

Result<void> Replayer::ProduceWithRetries(std::stop_token stop,
                                          std::span<const queue::OutgoingRecord> records) {
  RetryChain chain("replay into the queue", kProduceRetry, stop);
  auto produced = Retry(chain, [&] {
    std::promise<Result<void>> done;
    queue_.Produce(topic_, records,
                   [&done](Result<void> result) { done.set_value(std::move(result)); });
    return done.get_future().get();
  });
  if (!produced && chain.stop_requested()) return Retryable("stopped");
  return produced;
}

void Replayer::Run(std::stop_token stop, std::string id) {
  ReplayRequest request;
  std::string resume_after;
  {
    std::lock_guard lock(mutex_);
    const auto& job = jobs_.at(*JobNumber(id));
    request = job.request;
    resume_after = job.last_key;
  }
  const auto fail = [&](const std::string& error) {
    // Stopped by a shutdown, the job stays "running" in the state file: the next start resumes
    // it. Only this process's view says it ended.
    const bool shutting_down = stop.stop_requested();
    if (!shutting_down) Log().Error("replay failed", {{"id", id}, {"error", error}});
    Update(
        id,
        [&](Job& job) {
          job.status.state = "failed";
          job.status.error = error;
        },
        !shutting_down);
  };
  auto listed = ListObjects(stop, request);
  if (!listed) return fail(listed.error().message);
  const std::vector<std::string> keys = std::move(*listed);
  // Keys are read in sorted order (ListObjects): what a resumed job did lies at or before its
  // last key.
  const auto done_before =
      static_cast<uint64_t>(std::count_if(keys.begin(), keys.end(), [&](const std::string& key) {
        return !resume_after.empty() && key <= resume_after;
      }));
  Update(id, [&](Job& job) {
    job.status.objects_total = keys.size();
    job.status.objects_done = done_before;
  });
  Log().Info("replay started", {{"id", id}, {"objects", std::to_string(keys.size())}});

  simdjson::dom::parser parser;
  std::vector<queue::OutgoingRecord> records;
  std::vector<std::array<queue::Header, 1>> headers;
  std::string ndjson;
  for (const auto& key : keys) {
    if (!resume_after.empty() && key <= resume_after) continue;
    if (stop.stop_requested()) return fail("stopped");
    auto object = archive_.Get(bucket_, key);
    if (!object) return fail(object.error().message);
    const auto encoding = key.ends_with(".zst") ? ContentEncoding::kZstd : ContentEncoding::kGzip;
    ndjson.clear();
    if (!Decompress(encoding, object->body, kMaxObjectBytes, 0, ndjson)) {
      return fail("cannot decompress archive object " + key);
    }
    std::vector<std::string_view> lines;
    for (size_t start = 0; start < ndjson.size();) {
      size_t end = ndjson.find('\n', start);
      if (end == std::string::npos) end = ndjson.size();
      lines.emplace_back(ndjson.data() + start, end - start);
      start = end + 1;
    }
    const auto topic = object->metadata.find("topic");
    const auto partition = object->metadata.find("partition");
    const auto listed = object->metadata.find("line-offsets");
    std::vector<int64_t> offsets;
    if (listed != object->metadata.end()) {
      offsets = ParseOffsetRuns(listed->second, lines.size()).value_or(std::vector<int64_t>{});
    }
    const bool offsets_known = offsets.size() == lines.size() && topic != object->metadata.end() &&
                               partition != object->metadata.end();
    records.clear();
    headers.clear();
    headers.reserve(lines.size());
    // Services of the lines kept, which the records' keys point into.
    std::vector<std::string> services;
    services.reserve(lines.size());
    uint64_t skipped = 0;
    const int64_t now = NowMillis();
    for (size_t i = 0; i < lines.size(); ++i) {
      simdjson::dom::element event;
      std::string_view service;
      if (parser.parse(lines[i]).get(event) != simdjson::SUCCESS ||
          event["service"].get_string().get(service) != simdjson::SUCCESS ||
          (request.service && service != *request.service)) {
        ++skipped;
        continue;
      }
      services.emplace_back(service);
      headers.push_back({queue::Header{
          std::string(queue::kOriginalIdHeader),
          offsets_known ? topic->second + "-" + partition->second + "-" + std::to_string(offsets[i])
                        : key + "#" + std::to_string(i + 1)}});
      // The archive keeps no record time; the processor uses it only for events without one.
      records.push_back({services.back(), lines[i], now, headers.back()});
    }
    for (size_t first = 0; first < records.size(); first += kBatch) {
      const auto batch =
          std::span(records).subspan(first, std::min(kBatch, records.size() - first));
      if (auto produced = ProduceWithRetries(stop, batch); !produced) {
        return fail(produced.error().message);
      }
    }
    Update(id, [&](Job& job) {
      ++job.status.objects_done;
      job.status.events_queued += records.size();
      job.status.events_skipped += skipped;
      job.last_key = key;
    });
  }
  Update(id, [](Job& job) { job.status.state = "done"; });
  Log().Info("replay done", {{"id", id}});
}

}  // namespace lp::replay
