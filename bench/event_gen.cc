// Realistic varied seed-schema events for the store benchmark (issue 14): NDJSON on stdout or in a
// file, the same bytes for the same seed and count, and a JSON file of the planted needles and
// exact counts, so every benchmark query has a known answer to check against.
//
// Shape of the data: ~200 services with a Zipf-like share of the events, thousands of hosts (a
// service's pods), hundreds of message templates with variable ids, numbers, paths and words,
// unique trace ids, 65,536 client addresses (most public, so GeoIP finds them), 3-8 payload keys,
// labels, mostly INFO with some DEBUG/WARN/ERROR, timestamps spread over 7 days with a few
// percent arriving minutes to hours late.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr uint64_t kMillion = 1'000'000;
constexpr int64_t kSpanMs = 7LL * 24 * 3600 * 1000;

// splitmix64: the sequence is the same on every machine and compiler, unlike <random>'s
// distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

uint64_t Mix(uint64_t a, uint64_t b) { return Rng(a * 0x100000001b3ULL ^ b).Next(); }

// Picks an index with the given weights: a binary search over the cumulative sums.
class Weighted {
 public:
  explicit Weighted(const std::vector<double>& weights) {
    double sum = 0;
    for (double w : weights) cumulative_.push_back(sum += w);
  }
  size_t Pick(Rng& rng) const {
    double x = rng.Unit() * cumulative_.back();
    return std::upper_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin();
  }

 private:
  std::vector<double> cumulative_;
};

constexpr std::array kServicePrefixes = {
    "payment", "auth",     "checkout", "inventory", "search",   "notification", "billing",
    "user",    "order",    "cart",     "shipping",  "catalog",  "pricing",      "recommend",
    "session", "media",    "report",   "ledger",    "fraud",    "gateway",      "email",
    "sms",     "profile",  "review",   "coupon",    "tax",      "refund",       "warehouse",
    "routing", "identity", "audit",    "export",    "import",   "ads",          "loyalty",
    "feed",    "geo",      "chat",     "upload",    "thumbnail"};
constexpr std::array kServiceSuffixes = {"service", "api", "worker", "gateway", "scheduler"};

constexpr std::array kRegions = {"us-east-1",    "us-west-2",  "eu-west-1",
                                 "eu-central-1", "ap-south-1", "ap-northeast-1"};
constexpr std::array kMethods = {"GET",  "GET", "GET",    "GET",  "POST",
                                 "POST", "PUT", "DELETE", "PATCH"};
constexpr std::array kAgents = {"Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0",
                                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5)",
                                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/127.0",
                                "okhttp/4.12.0",
                                "curl/8.8.0",
                                "python-requests/2.32.3",
                                "Go-http-client/2.0"};
constexpr std::array kPathRoots = {"/api/v1/orders",   "/api/v1/users",    "/api/v2/cart",
                                   "/api/v1/payments", "/api/v1/items",    "/internal/health",
                                   "/api/v2/search",   "/api/v1/sessions", "/static/img",
                                   "/api/v1/invoices"};
constexpr std::array kNouns = {"order",   "invoice",  "account", "session", "cart",
                               "payment", "shipment", "profile", "token",   "coupon",
                               "report",  "upload",   "ticket",  "webhook", "subscription"};
constexpr std::array kWords = {"alpha",  "bravo",  "cobalt", "delta",   "ember",  "falcon",
                               "garnet", "harbor", "indigo", "juniper", "kepler", "lumen",
                               "magnet", "nimbus", "onyx",   "prism",   "quartz", "raven",
                               "sierra", "tundra", "umber",  "vortex",  "willow", "zephyr"};
constexpr std::array kTables = {"orders", "users", "payments", "items", "sessions", "events"};
constexpr std::array kStatusOk = {200, 200, 200, 200, 200, 200, 201, 204, 301, 304};
constexpr std::array kStatusWarn = {400, 401, 403, 404, 404, 409, 429, 429};
constexpr std::array kStatusError = {500, 500, 502, 503, 503, 504, 400, 429};

// Message templates by level. Placeholders: {n} a noun, {id} a number, {hex} 12 hex digits,
// {ms} a duration, {path} a request path, {word} a word, {user} a user id, {ip} an address,
// {table} a table name, {k} a small count. Templates are multiplied by nouns into hundreds.
struct Template {
  const char* text;
  int level;  // 0 DEBUG, 1 INFO, 2 WARN, 3 ERROR
};
constexpr std::array kTemplates = {
    Template{"{n} {id} created for {user} in {ms} ms", 1},
    Template{"request completed {path} in {ms} ms", 1},
    Template{"{n} {id} updated by {user}", 1},
    Template{"cache hit for {n} {hex}", 1},
    Template{"user {user} logged in from {ip}", 1},
    Template{"processed {k} {n} records from queue {word}", 1},
    Template{"scheduled job {word}-{id} finished in {ms} ms", 1},
    Template{"sent {n} notification to {user}", 1},
    Template{"connection pool {word} size {k} idle {k}", 1},
    Template{"request completed {path} status ok bytes {id}", 1},
    Template{"fetched {k} rows from {table} in {ms} ms", 1},
    Template{"{n} {id} validated against schema {word}", 1},
    Template{"served {path} to {ip} in {ms} ms", 1},
    Template{"published event {n}.changed key {hex}", 1},
    Template{"debug trace {n} {hex} step {k} of {k}", 0},
    Template{"cache miss for {n} {hex} loading from {table}", 0},
    Template{"sql select from {table} where id = {id} took {ms} ms", 0},
    Template{"retrying {n} {id} attempt {k} after {ms} ms", 2},
    Template{"slow request {path} took {ms} ms", 2},
    Template{"rate limit close for {user} on {path}", 2},
    Template{"deprecated field {word} used by client {ip}", 2},
    Template{"queue {word} depth {id} above threshold", 2},
    Template{"failed to charge {n} {id}: card declined", 3},
    Template{"timeout calling {word}-service after {ms} ms", 3},
    Template{"database error on {table}: deadlock detected", 3},
    Template{"unhandled exception in {n} handler {hex}", 3},
    Template{"upstream {path} returned error for {user}", 3},
};
constexpr std::array kLevels = {"DEBUG", "INFO", "WARN", "ERROR"};
constexpr std::array kLevelWeights = {0.07, 0.82, 0.07, 0.04};

// The common word of the benchmark's "common word" queries: only ever written by the templates
// that contain it, never by a placeholder, so the generator knows exactly which events hold it.
constexpr std::string_view kCommonWord = "completed";
// The rare token: one event per million carries it (and at least one when fewer are made).
constexpr std::string_view kRareToken = "zebracorn";
constexpr uint64_t kRareOffset = 777'777;

struct Service {
  std::string name;
  std::string version;
  int hosts;
  std::array<int, 9> optional_keys;  // this service's order of optional payload keys
  std::vector<int> templates[4];     // indices into kTemplates x kNouns, by level
};

void AppendHex(std::string& out, uint64_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += kHex[(value >> (4 * i)) & 15];
}

void AppendUint(std::string& out, uint64_t value) {
  char buffer[24];
  int length = 0;
  do {
    buffer[length++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (length > 0) out += buffer[--length];
}

void AppendPadded(std::string& out, unsigned value, int digits) {
  char buffer[8];
  for (int i = digits - 1; i >= 0; --i, value /= 10)
    buffer[i] = static_cast<char>('0' + value % 10);
  out.append(buffer, digits);
}

// RFC 3339 with milliseconds, UTC.
void AppendTimestamp(std::string& out, int64_t epoch_ms) {
  std::time_t seconds = epoch_ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  AppendPadded(out, tm.tm_year + 1900, 4);
  out += '-';
  AppendPadded(out, tm.tm_mon + 1, 2);
  out += '-';
  AppendPadded(out, tm.tm_mday, 2);
  out += 'T';
  AppendPadded(out, tm.tm_hour, 2);
  out += ':';
  AppendPadded(out, tm.tm_min, 2);
  out += ':';
  AppendPadded(out, tm.tm_sec, 2);
  out += '.';
  AppendPadded(out, static_cast<unsigned>(epoch_ms % 1000), 3);
  out += 'Z';
}

std::string Ip(uint32_t index) {
  // 65,536 client addresses: 80 % spread over public ranges, 20 % private (no geo).
  uint64_t h = Mix(0x1b873593, index);
  static constexpr std::array kFirst = {8,   23,  31,  45,  52,  63,  77,  81,  93,  104,
                                        109, 128, 142, 151, 178, 185, 195, 203, 212, 217};
  std::string out;
  AppendUint(out, index % 5 == 0 ? 10 : kFirst[h % kFirst.size()]);
  for (uint64_t octet : {(h >> 8) & 255, (h >> 16) & 255, 1 + (h >> 24) % 254}) {
    out += '.';
    AppendUint(out, octet);
  }
  return out;
}

struct Counts {
  uint64_t events = 0;
  uint64_t bytes = 0;
  uint64_t common_word = 0;
  uint64_t rare = 0;
  uint64_t status_5xx = 0;
  std::array<uint64_t, 4> levels{};
  std::vector<uint64_t> service_events;
  std::vector<std::array<uint64_t, 4>> service_levels;
  std::vector<std::vector<uint64_t>> host_events;  // by service, then host
  std::vector<uint64_t> rare_indices;
  // The 100 newest timestamps (a min-heap), to check that "newest 100" answers are the newest.
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> newest;
};

class Generator {
 public:
  Generator(uint64_t seed, uint64_t events, int64_t end_ms)
      : seed_(seed), events_(events), start_ms_(end_ms - kSpanMs) {
    Rng rng(Mix(seed, 1));
    std::vector<double> weights;
    for (size_t i = 0; i < kServicePrefixes.size() * kServiceSuffixes.size(); ++i) {
      Service service;
      service.name = std::string(kServicePrefixes[i % kServicePrefixes.size()]) + "-" +
                     kServiceSuffixes[i / kServicePrefixes.size()];
      // One draw per statement: the order of evaluation inside one expression is unspecified.
      const uint64_t major = 1 + rng.Below(3);
      const uint64_t minor = rng.Below(20);
      const uint64_t patch = rng.Below(10);
      service.version = 'v';
      AppendUint(service.version, major);
      service.version += '.';
      AppendUint(service.version, minor);
      service.version += '.';
      AppendUint(service.version, patch);
      service.hosts = 5 + static_cast<int>(80 / std::sqrt(static_cast<double>(i + 1)));
      for (int k = 0; k < 9; ++k) service.optional_keys[k] = k;
      for (int k = 8; k > 0; --k)
        std::swap(service.optional_keys[k], service.optional_keys[rng.Below(k + 1)]);
      // Each service speaks 30 of the templates-by-noun, with every level represented.
      for (int level = 0; level < 4; ++level) {
        std::vector<int> of_level;
        for (size_t t = 0; t < kTemplates.size(); ++t)
          if (kTemplates[t].level == level) of_level.push_back(static_cast<int>(t));
        int count = level == 1 ? 18 : 4;
        for (int k = 0; k < count; ++k) {
          int t = of_level[rng.Below(of_level.size())];
          service.templates[level].push_back(t * static_cast<int>(kNouns.size()) +
                                             static_cast<int>(rng.Below(kNouns.size())));
        }
      }
      services_.push_back(std::move(service));
      weights.push_back(1.0 / std::pow(static_cast<double>(i + 1), 1.1));  // Zipf, s = 1.1
    }
    service_pick_ = Weighted(weights);
    level_pick_ = Weighted({kLevelWeights.begin(), kLevelWeights.end()});
    for (uint32_t i = 0; i < 65536; ++i) ips_.push_back(Ip(i));
    counts_.service_events.assign(services_.size(), 0);
    counts_.service_levels.assign(services_.size(), {});
    for (const Service& service : services_) counts_.host_events.emplace_back(service.hosts, 0);
  }

  // Appends event `index` (one NDJSON line) to `out`.
  void Append(uint64_t index, std::string& out) {
    Rng rng(Mix(seed_, index + 2));
    const size_t line_start = out.size();
    const size_t s = service_pick_.Pick(rng);
    const Service& service = services_[s];
    const int host = static_cast<int>(rng.Below(service.hosts));
    const int level = static_cast<int>(level_pick_.Pick(rng));
    const bool rare = IsRare(index);

    int64_t ts = start_ms_ + static_cast<int64_t>(static_cast<double>(index) / events_ * kSpanMs) +
                 static_cast<int64_t>(rng.Below(1000));
    uint64_t late = rng.Below(1000);
    if (late < 30)
      ts -= static_cast<int64_t>(rng.Below(600'000));  // 3 %: minutes late
    else if (late < 31)
      ts -= static_cast<int64_t>(rng.Below(6 * 3'600'000));  // 0.1 %: hours late
    if (ts < start_ms_) ts = start_ms_ + static_cast<int64_t>(rng.Below(1000));

    out += R"({"timestamp":")";
    AppendTimestamp(out, ts);
    out += R"(","service":")";
    out += service.name;
    out += R"(","level":")";
    out += kLevels[level];
    out += R"(","message":")";
    const std::vector<int>& templates = service.templates[level];
    const int chosen = templates[rng.Below(templates.size())];
    const Template& tpl = kTemplates[chosen / kNouns.size()];
    const char* noun = kNouns[chosen % kNouns.size()];
    const uint64_t user = 1 + rng.Below(2'000'000);
    const uint32_t ip = static_cast<uint32_t>(rng.Below(ips_.size()));
    if (rare) {
      out += "checksum mismatch in block ";
      out += kRareToken;
      out += " of ";
      out += noun;
      out += ' ';
      AppendHex(out, rng.Next(), 12);
    } else {
      AppendMessage(tpl.text, noun, user, ip, rng, out);
      if (std::string_view(tpl.text).find(kCommonWord) != std::string_view::npos)
        ++counts_.common_word;
    }
    out += R"(","trace_id":")";
    AppendHex(out, Mix(seed_ ^ 0x7472616365ULL, index), 16);
    AppendHex(out, Mix(seed_ ^ 0x6964ULL, index), 16);
    out += R"(","request_id":"req-)";
    AppendHex(out, rng.Next(), 12);
    out += R"(","host":")";
    out += service.name;
    out += '-';
    AppendHex(out, Mix(s, host) & 0xfffff, 5);

    // payload: ip_address, status, duration_ms always; 0-5 of the service's optional keys.
    int status = level == 3   ? kStatusError[rng.Below(kStatusError.size())]
                 : level == 2 ? kStatusWarn[rng.Below(kStatusWarn.size())]
                              : kStatusOk[rng.Below(kStatusOk.size())];
    if (status >= 500) ++counts_.status_5xx;
    out += R"(","payload":{"ip_address":")";
    out += ips_[ip];
    out += R"(","status":)";
    AppendUint(out, static_cast<uint64_t>(status));
    out += R"(,"duration_ms":)";
    AppendUint(out, Duration(rng));
    // Most events carry one or two optional keys, a few carry five.
    const int optional = static_cast<int>(std::min(rng.Below(6), rng.Below(6)));
    for (int k = 0; k < optional; ++k) AppendOptional(service.optional_keys[k], user, rng, out);
    out += R"(},"labels":{"env":")";
    const uint64_t env = Mix(s, host + 1000) % 20;
    out += env < 17 ? "production" : env < 19 ? "staging" : "dev";
    out += R"(","region":")";
    out += kRegions[Mix(s, host + 2000) % kRegions.size()];
    if (s % 2 == 0) {
      out += R"(","version":")";
      out += service.version;
    }
    if (s % 3 == 0) {
      out += R"(","team":")";
      out += kWords[s % kWords.size()];
    }
    out += "\"}}\n";

    ++counts_.events;
    counts_.bytes += out.size() - line_start;
    ++counts_.levels[level];
    ++counts_.service_events[s];
    ++counts_.service_levels[s][level];
    ++counts_.host_events[s][host];
    counts_.newest.push(ts);
    if (counts_.newest.size() > 100) counts_.newest.pop();
    if (rare) {
      ++counts_.rare;
      counts_.rare_indices.push_back(index);
    }
  }

  bool IsRare(uint64_t index) const {
    if (events_ < kMillion) return index == events_ / 2;
    return index % kMillion == kRareOffset;
  }

  // The planted needles and exact counts, as JSON.
  std::string Needles(size_t focus_service) const {
    std::string out = "{";
    out += "\"events\":" + std::to_string(counts_.events);
    out += ",\"bytes\":" + std::to_string(counts_.bytes);
    out += ",\"seed\":" + std::to_string(seed_);
    std::string start, end;
    AppendTimestamp(start, start_ms_ - 6 * 3'600'000);
    AppendTimestamp(end, start_ms_ + kSpanMs + 1000);
    out += ",\"from\":\"" + start + "\",\"to\":\"" + end + "\"";
    std::string newest;
    AppendTimestamp(newest, counts_.newest.empty() ? 0 : counts_.newest.top());
    out += ",\"newest_100th\":\"" + newest + "\"";
    out += ",\"rare_token\":\"" + std::string(kRareToken) +
           "\",\"rare_count\":" + std::to_string(counts_.rare);
    out += ",\"common_word\":\"" + std::string(kCommonWord) +
           "\",\"common_word_count\":" + std::to_string(counts_.common_word);
    out += ",\"status_5xx\":" + std::to_string(counts_.status_5xx);
    out += ",\"levels\":{";
    for (int level = 0; level < 4; ++level) {
      if (level != 0) out += ',';
      out += "\"" + std::string(kLevels[level]) + "\":" + std::to_string(counts_.levels[level]);
    }
    out += "},\"focus_service\":\"" + services_[focus_service].name + "\"";
    out += ",\"focus_service_count\":" + std::to_string(counts_.service_events[focus_service]);
    out += ",\"focus_service_errors\":" + std::to_string(counts_.service_levels[focus_service][3]);
    out += ",\"services\":" + std::to_string(services_.size());

    std::vector<std::pair<uint64_t, std::string>> top;
    for (size_t s = 0; s < services_.size(); ++s)
      top.emplace_back(counts_.service_events[s], services_[s].name);
    out += ",\"top_services\":" + Top(top, 10);
    top.clear();
    size_t hosts_seen = 0;
    for (size_t s = 0; s < services_.size(); ++s) {
      for (int h = 0; h < services_[s].hosts; ++h) {
        if (counts_.host_events[s][h] == 0) continue;
        ++hosts_seen;
        std::string name = services_[s].name + "-";
        AppendHex(name, Mix(s, h) & 0xfffff, 5);
        top.emplace_back(counts_.host_events[s][h], std::move(name));
      }
    }
    out += ",\"hosts\":" + std::to_string(hosts_seen);
    out += ",\"top_hosts\":" + Top(top, 10);
    out += ",\"rare_indices\":[";
    for (size_t i = 0; i < counts_.rare_indices.size(); ++i)
      out += (i ? "," : "") + std::to_string(counts_.rare_indices[i]);
    out += "]}\n";
    return out;
  }

 private:
  static std::string Top(std::vector<std::pair<uint64_t, std::string>>& values, size_t n) {
    std::sort(values.begin(), values.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::string out = "[";
    for (size_t i = 0; i < std::min(n, values.size()); ++i)
      out += std::string(i ? "," : "") + "{\"value\":\"" + values[i].second +
             "\",\"count\":" + std::to_string(values[i].first) + "}";
    return out + "]";
  }

  static uint64_t Duration(Rng& rng) {
    // Log-normal-ish: most requests a few ms, a long tail to seconds.
    double u = rng.Unit();
    return static_cast<uint64_t>(std::exp(1.0 + 6.5 * u * u * u)) + rng.Below(3);
  }

  void AppendMessage(const char* text, const char* noun, uint64_t user, uint32_t ip, Rng& rng,
                     std::string& out) const {
    for (const char* p = text; *p != 0;) {
      if (*p != '{') {
        out += *p++;
        continue;
      }
      const char* close = std::strchr(p, '}');
      std::string_view name(p + 1, close - p - 1);
      if (name == "n")
        out += noun;
      else if (name == "id")
        AppendUint(out, 1000 + rng.Below(9'000'000));
      else if (name == "hex")
        AppendHex(out, rng.Next(), 12);
      else if (name == "ms")
        AppendUint(out, Duration(rng));
      else if (name == "path")
        AppendPath(rng, out);
      else if (name == "word")
        out += kWords[rng.Below(kWords.size())];
      else if (name == "user") {
        out += "user-";
        AppendUint(out, user);
      } else if (name == "ip")
        out += ips_[ip];
      else if (name == "table")
        out += kTables[rng.Below(kTables.size())];
      else if (name == "k")
        AppendUint(out, 1 + rng.Below(64));
      p = close + 1;
    }
  }

  static void AppendPath(Rng& rng, std::string& out) {
    out += kPathRoots[rng.Below(kPathRoots.size())];
    out += '/';
    AppendUint(out, 1 + rng.Below(500'000));
  }

  void AppendOptional(int key, uint64_t user, Rng& rng, std::string& out) const {
    switch (key) {
      case 0:
        out += R"(,"user_id":"user-)";
        AppendUint(out, user);
        out += '"';
        break;
      case 1:
        out += R"(,"method":")";
        out += kMethods[rng.Below(kMethods.size())];
        out += '"';
        break;
      case 2:
        out += R"(,"path":")";
        AppendPath(rng, out);
        out += '"';
        break;
      case 3:
        out += R"(,"bytes":)";
        AppendUint(out, rng.Below(2'000'000));
        break;
      case 4:
        out += R"(,"user_agent":")";
        out += kAgents[rng.Below(kAgents.size())];
        out += '"';
        break;
      case 5:
        out += R"(,"cache":")";
        out += rng.Below(3) == 0 ? "miss" : "hit";
        out += '"';
        break;
      case 6:
        out += R"(,"db_rows":)";
        AppendUint(out, rng.Below(5000));
        break;
      case 7:
        out += R"(,"retry":)";
        AppendUint(out, rng.Below(4));
        break;
      default:
        out += R"(,"tenant":"tenant-)";
        AppendUint(out, rng.Below(800));
        out += '"';
        break;
    }
  }

  uint64_t seed_;
  uint64_t events_;
  int64_t start_ms_;
  std::vector<Service> services_;
  Weighted service_pick_{{1.0}};
  Weighted level_pick_{{1.0}};
  std::vector<std::string> ips_;
  Counts counts_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Realistic varied seed-schema events (NDJSON) with planted needles."};
  uint64_t events = 1'000'000;
  uint64_t seed = 42;
  std::string output = "-";
  std::string needles;
  int64_t end_epoch = 1'795'996'800;  // 2026-12-01T00:00:00Z: the 7 days end here
  size_t focus_service = 7;
  app.add_option("--events", events, "Events to write.")->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "Seed: the same seed and count give the same bytes.");
  app.add_option("--output", output, "NDJSON file, - for stdout.");
  app.add_option("--needles", needles, "Where to write the JSON of needles and exact counts.");
  app.add_option("--end", end_epoch, "Unix time (s) at which the 7 days of timestamps end.");
  app.add_option("--focus-service", focus_service,
                 "Rank (0 = busiest) of the service the per-service queries ask for.")
      ->check(CLI::Range(0, 199));
  CLI11_PARSE(app, argc, argv);

  std::FILE* file = output == "-" ? stdout : std::fopen(output.c_str(), "wb");
  if (file == nullptr) {
    std::fprintf(stderr, "event_gen: cannot open %s: %s\n", output.c_str(), std::strerror(errno));
    return 1;
  }
  Generator generator(seed, events, end_epoch * 1000);
  std::string buffer;
  buffer.reserve(1 << 20);
  for (uint64_t i = 0; i < events; ++i) {
    generator.Append(i, buffer);
    if (buffer.size() >= (1 << 20) - 2048 || i + 1 == events) {
      if (std::fwrite(buffer.data(), 1, buffer.size(), file) != buffer.size()) {
        std::fprintf(stderr, "event_gen: write failed: %s\n", std::strerror(errno));
        return 1;
      }
      buffer.clear();
    }
  }
  if (file != stdout ? std::fclose(file) != 0 : std::fflush(file) != 0) {
    std::fprintf(stderr, "event_gen: write failed: %s\n", std::strerror(errno));
    return 1;
  }
  if (!needles.empty()) {
    std::FILE* out = std::fopen(needles.c_str(), "wb");
    std::string json = generator.Needles(focus_service);
    if (out == nullptr || std::fwrite(json.data(), 1, json.size(), out) != json.size() ||
        std::fclose(out) != 0) {
      std::fprintf(stderr, "event_gen: cannot write %s\n", needles.c_str());
      return 1;
    }
  }
  return 0;
}
