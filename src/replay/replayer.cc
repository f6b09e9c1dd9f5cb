#include "replay/replayer.h"

#include "core/backoff.h"
#include "core/decompress.h"
#include "core/logging.h"
#include "processor/normalizer.h"

namespace lp::replay {
namespace {

constexpr size_t kBatch = 1000;
constexpr int kWriteAttempts = 8;
// Archive objects are batches of raw events; anything past this is not one of ours.
constexpr size_t kMaxObjectBytes = 1ULL << 30;

const Logger& Log() {
  static const Logger logger("replay");
  return logger;
}

std::string DatePrefix(std::chrono::sys_days day) {
  const std::chrono::year_month_day date{day};
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%04d/%02u/%02u/", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return prefix;
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

Replayer::Replayer(objectstore::ObjectStore& archive, std::string bucket,
                   search::SearchStore& store, const processor::GeoIpDatabase* geoip,
                   EventLimits limits)
    : archive_(archive),
      bucket_(std::move(bucket)),
      store_(store),
      geoip_(geoip),
      limits_(limits) {}

Replayer::~Replayer() {
  std::vector<std::jthread> threads;
  {
    std::lock_guard lock(mutex_);
    threads = std::move(threads_);
  }
  threads.clear();  // Asks each to stop, then joins.
}

std::string Replayer::Start(ReplayRequest request) {
  std::lock_guard lock(mutex_);
  std::string id = "replay-" + std::to_string(next_id_++);
  jobs_[id] = ReplayStatus{.id = id};
  threads_.emplace_back(
      [this, id, request = std::move(request)](std::stop_token stop) { Run(stop, id, request); });
  return id;
}

std::optional<ReplayStatus> Replayer::Status(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto found = jobs_.find(id);
  if (found == jobs_.end()) return std::nullopt;
  return found->second;
}

void Replayer::Update(const std::string& id, const std::function<void(ReplayStatus&)>& change) {
  std::lock_guard lock(mutex_);
  change(jobs_.at(id));
}

Result<void> Replayer::WriteWithRetries(std::stop_token stop,
                                        std::vector<search::SearchDocument>& documents) {
  for (int attempt = 0;; ++attempt) {
    auto written = store_.Write(documents);
    if (written || !written.error().retryable() || attempt + 1 == kWriteAttempts) {
      documents.clear();
      if (!written) return tl::unexpected(written.error());
      return {};
    }
    if (!SleepUnlessStopped(stop, std::chrono::milliseconds(100 << attempt))) {
      return Retryable("stopped");
    }
  }
}

void Replayer::Run(std::stop_token stop, std::string id, ReplayRequest request) {
  const auto fail = [&](const std::string& error) {
    Log().Error("replay failed", {{"id", id}, {"error", error}});
    Update(id, [&](ReplayStatus& status) {
      status.state = "failed";
      status.error = error;
    });
  };
  std::vector<std::string> keys;
  for (auto day = request.from; day <= request.to; day += std::chrono::days(1)) {
    auto listed = archive_.List(bucket_, DatePrefix(day));
    if (!listed && listed.error().error_class != ErrorClass::kNotFound) {
      return fail(listed.error().message);
    }
    if (listed) keys.insert(keys.end(), listed->begin(), listed->end());
  }
  Update(id, [&](ReplayStatus& status) { status.objects_total = keys.size(); });
  Log().Info("replay started", {{"id", id}, {"objects", std::to_string(keys.size())}});

  EventValidator validator(limits_);
  processor::Normalizer normalizer;
  std::optional<processor::GeoIpCache> geoip;
  if (geoip_ != nullptr) geoip.emplace(*geoip_, 10'000);
  std::vector<search::SearchDocument> documents;
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
    uint64_t indexed = 0;
    uint64_t skipped = 0;
    const int64_t now = NowMillis();
    size_t line_number = 0;
    for (size_t start = 0; start < ndjson.size(); ++line_number) {
      size_t end = ndjson.find('\n', start);
      if (end == std::string::npos) end = ndjson.size();
      const std::string_view line(ndjson.data() + start, end - start);
      start = end + 1;
      auto event = validator.Validate(line);
      if (!event || (request.service && event->service != *request.service)) {
        ++skipped;
        continue;
      }
      const processor::GeoLocation* geo = nullptr;
      if (geoip) {
        if (const auto address = processor::Normalizer::IpAddressOf(*event)) {
          geo = geoip->Lookup(*address);
        }
      }
      documents.push_back(normalizer.Normalize(
          *event, line, key + "#" + std::to_string(line_number + 1), 0, now, geo));
      ++indexed;
      if (documents.size() >= kBatch) {
        if (auto written = WriteWithRetries(stop, documents); !written) {
          return fail(written.error().message);
        }
      }
    }
    if (!documents.empty()) {
      if (auto written = WriteWithRetries(stop, documents); !written) {
        return fail(written.error().message);
      }
    }
    Update(id, [&](ReplayStatus& status) {
      ++status.objects_done;
      status.events_indexed += indexed;
      status.events_skipped += skipped;
    });
  }
  Update(id, [](ReplayStatus& status) { status.state = "done"; });
  Log().Info("replay done", {{"id", id}});
}

}  // namespace lp::replay
