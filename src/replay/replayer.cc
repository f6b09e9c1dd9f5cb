#include "replay/replayer.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <future>

#include "core/backoff.h"
#include "core/decompress.h"
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

Replayer::Replayer(objectstore::ObjectStore& archive, std::string bucket, queue::Producer& queue,
                   std::string topic)
    : archive_(archive), bucket_(std::move(bucket)), queue_(queue), topic_(std::move(topic)) {}

Replayer::~Replayer() { Stop(); }

void Replayer::Stop() {
  std::jthread worker;
  {
    std::lock_guard lock(mutex_);
    worker = std::move(worker_);
  }
  // Asks it to stop, then joins (outside the lock: the job updates its status under it).
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

Result<std::string> Replayer::Start(ReplayRequest request) {
  std::jthread finished;
  std::lock_guard lock(mutex_);
  if (!running_.empty()) {
    return Retryable("replay " + running_ + " is running; one replay runs at a time");
  }
  finished = std::move(worker_);  // Done already: joined when this returns.
  const uint64_t number = next_id_++;
  std::string id = "replay-" + std::to_string(number);
  jobs_[number] = ReplayStatus{.id = id};
  while (jobs_.size() > kKeptJobs) jobs_.erase(jobs_.begin());
  running_ = id;
  worker_ = std::jthread(
      [this, id, request = std::move(request)](std::stop_token stop) { Run(stop, id, request); });
  return id;
}

std::optional<ReplayStatus> Replayer::Status(const std::string& id) const {
  const auto number = JobNumber(id);
  if (!number) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto found = jobs_.find(*number);
  if (found == jobs_.end()) return std::nullopt;
  return found->second;
}

void Replayer::Update(const std::string& id, const std::function<void(ReplayStatus&)>& change) {
  std::lock_guard lock(mutex_);
  auto& status = jobs_.at(*JobNumber(id));
  change(status);
  if (status.state != "running") running_.clear();
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

void Replayer::Run(std::stop_token stop, std::string id, ReplayRequest request) {
  const auto fail = [&](const std::string& error) {
    Log().Error("replay failed", {{"id", id}, {"error", error}});
    Update(id, [&](ReplayStatus& status) {
      status.state = "failed";
      status.error = error;
    });
  };
  auto listed = ListObjects(stop, request);
  if (!listed) return fail(listed.error().message);
  const std::vector<std::string> keys = std::move(*listed);
  Update(id, [&](ReplayStatus& status) { status.objects_total = keys.size(); });
  Log().Info("replay started", {{"id", id}, {"objects", std::to_string(keys.size())}});

  simdjson::dom::parser parser;
  std::vector<queue::OutgoingRecord> records;
  std::vector<std::array<queue::Header, 1>> headers;
  std::string ndjson;
  for (const auto& key : keys) {
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
    Update(id, [&](ReplayStatus& status) {
      ++status.objects_done;
      status.events_queued += records.size();
      status.events_skipped += skipped;
    });
  }
  Update(id, [](ReplayStatus& status) { status.state = "done"; });
  Log().Info("replay done", {{"id", id}});
}

}  // namespace lp::replay
