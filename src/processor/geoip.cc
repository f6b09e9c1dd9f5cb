#include "processor/geoip.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "core/json_escape.h"

namespace lp::processor {
namespace {

// The longest textual IPv6 address, with an embedded IPv4 part, is 45 characters.
constexpr size_t kMaxAddressLength = INET6_ADDRSTRLEN;

std::optional<std::string> StringAt(MMDB_entry_s& entry, std::initializer_list<const char*> path) {
  std::vector<const char*> terminated(path);
  terminated.push_back(nullptr);
  MMDB_entry_data_s data;
  if (MMDB_aget_value(&entry, &data, terminated.data()) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size == 0) {
    return std::nullopt;
  }
  return std::string(data.utf8_string, data.data_size);
}

// The first of `paths` that holds a string, or "".
std::string FirstStringAt(MMDB_entry_s& entry,
                          std::initializer_list<std::initializer_list<const char*>> paths) {
  for (const auto path : paths) {
    if (auto value = StringAt(entry, path)) return std::move(*value);
  }
  return "";
}

std::optional<double> NumberAt(MMDB_entry_s& entry, std::initializer_list<const char*> path) {
  std::vector<const char*> terminated(path);
  terminated.push_back(nullptr);
  MMDB_entry_data_s data;
  if (MMDB_aget_value(&entry, &data, terminated.data()) != MMDB_SUCCESS || !data.has_data) {
    return std::nullopt;
  }
  if (data.type == MMDB_DATA_TYPE_DOUBLE) return data.double_value;
  if (data.type != MMDB_DATA_TYPE_FLOAT) return std::nullopt;
  // A float widened as is prints as 37.42200088500977; going through its shortest decimal form
  // keeps the 37.422 the database meant.
  char text[32];
  const auto printed = std::to_chars(std::begin(text), std::end(text), data.float_value);
  double value = 0;
  std::from_chars(std::begin(text), printed.ptr, value);
  return value;
}

std::optional<GeoLocation> Read(MMDB_entry_s& entry) {
  // MaxMind's nested layout first, then DB-IP's flat one.
  GeoLocation location;
  location.country_iso_code = FirstStringAt(entry, {{"country", "iso_code"}, {"country_code"}});
  location.country_name = FirstStringAt(entry, {{"country", "names", "en"}});
  location.city_name = FirstStringAt(entry, {{"city", "names", "en"}, {"city"}});
  auto latitude = NumberAt(entry, {"location", "latitude"});
  auto longitude = NumberAt(entry, {"location", "longitude"});
  if (!latitude || !longitude) {
    latitude = NumberAt(entry, {"latitude"});
    longitude = NumberAt(entry, {"longitude"});
  }
  if (latitude && longitude && std::isfinite(*latitude) && std::isfinite(*longitude)) {
    location.latitude = latitude;
    location.longitude = longitude;
  }
  if (location.country_iso_code.empty() && location.city_name.empty() && !location.latitude) {
    return std::nullopt;
  }
  return location;
}

void AppendKey(std::string& out, std::string_view key) {
  out += '"';
  AppendJsonEscaped(out, key);
  out.push_back('"');
  out.push_back(':');
}

void AppendString(std::string& out, std::string_view value) {
  out += '"';
  AppendJsonEscaped(out, value);
  out += '"';
}

void AppendNumber(std::string& out, double value) {
  char text[32];
  const auto printed = std::to_chars(std::begin(text), std::end(text), value);
  out.append(text, printed.ptr);
}

}  // namespace

Result<std::unique_ptr<GeoIpDatabase>> GeoIpDatabase::Open(const std::filesystem::path& path) {
  std::error_code error;
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(path, error)) {
    for (const auto& item : std::filesystem::directory_iterator(path, error)) {
      if (item.path().extension() == ".mmdb") files.push_back(item.path());
    }
    if (error)
      return Permanent("cannot list GeoIP folder " + path.string() + ": " + error.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) return Permanent("no .mmdb file in GeoIP folder " + path.string());
  } else {
    files.push_back(path);
  }

  std::unique_ptr<GeoIpDatabase> database(new GeoIpDatabase());
  for (const auto& file : files) {
    auto mmdb = std::make_unique<MMDB_s>();
    const int status = MMDB_open(file.c_str(), MMDB_MODE_MMAP, mmdb.get());
    if (status != MMDB_SUCCESS) {
      std::string detail = MMDB_strerror(status);
      if (status == MMDB_IO_ERROR) detail += std::string(" (") + std::strerror(errno) + ")";
      return Permanent("cannot open GeoIP database " + file.string() + ": " + detail);
    }
    database->files_.push_back(file);
    database->databases_.push_back(std::move(mmdb));
  }
  return database;
}

GeoIpDatabase::~GeoIpDatabase() {
  for (auto& mmdb : databases_) MMDB_close(mmdb.get());
}

std::optional<GeoLocation> GeoIpDatabase::Lookup(std::string_view address) const {
  if (address.empty() || address.size() > kMaxAddressLength) return std::nullopt;
  char text[kMaxAddressLength + 1];
  address.copy(text, address.size());
  text[address.size()] = '\0';

  // Parsed here rather than by MMDB_lookup_string so that nothing can turn into a DNS query.
  sockaddr_storage storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
  } else {
    return std::nullopt;
  }

  for (const auto& mmdb : databases_) {
    int error = MMDB_SUCCESS;
    auto result = MMDB_lookup_sockaddr(mmdb.get(), reinterpret_cast<sockaddr*>(&storage), &error);
    // An IPv6 address asked of an IPv4-only file is an error there, not a reason to stop.
    if (error != MMDB_SUCCESS || !result.found_entry) continue;
    if (auto location = Read(result.entry)) return location;
  }
  return std::nullopt;
}

GeoIpCache::GeoIpCache(const GeoIpDatabase& database, size_t capacity)
    : database_(database), capacity_(std::max<size_t>(capacity, 1)) {}

const GeoLocation* GeoIpCache::Lookup(std::string_view address) {
  if (const auto found = index_.find(address); found != index_.end()) {
    recent_.splice(recent_.begin(), recent_, found->second);
    return recent_.front().second ? &*recent_.front().second : nullptr;
  }
  if (recent_.size() == capacity_) {
    index_.erase(recent_.back().first);
    recent_.pop_back();
  }
  recent_.emplace_front(std::string(address), database_.Lookup(address));
  index_.emplace(recent_.front().first, recent_.begin());
  return recent_.front().second ? &*recent_.front().second : nullptr;
}

void AppendGeoJson(std::string& out, const GeoLocation& geo) {
  out.push_back('{');
  bool first = true;
  const auto separate = [&] {
    if (!first) out.push_back(',');
    first = false;
  };
  for (const auto& [name, value] :
       {std::pair<std::string_view, const std::string&>{"country_iso_code", geo.country_iso_code},
        {"country_name", geo.country_name},
        {"city_name", geo.city_name}}) {
    if (value.empty()) continue;
    separate();
    AppendKey(out, name);
    AppendString(out, value);
  }
  if (geo.latitude && geo.longitude) {
    separate();
    AppendKey(out, "location");
    out += "{\"lat\":";
    AppendNumber(out, *geo.latitude);
    out += ",\"lon\":";
    AppendNumber(out, *geo.longitude);
    out.push_back('}');
  }
  out.push_back('}');
}

std::function<bool(std::string_view, std::string&)> GeoJsonLocator(const GeoIpDatabase& database,
                                                                   size_t cache_entries) {
  auto cache = std::make_shared<GeoIpCache>(database, cache_entries);
  return [cache](std::string_view address, std::string& geo_json) {
    const GeoLocation* location = cache->Lookup(address);
    if (location != nullptr) AppendGeoJson(geo_json, *location);
    return location != nullptr;
  };
}

}  // namespace lp::processor
