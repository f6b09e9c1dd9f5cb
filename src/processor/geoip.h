#pragma once

#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

struct MMDB_s;

namespace lp::processor {

/// Where an address is, as far as the database knows; empty strings are unknown.
struct GeoLocation {
  std::string country_iso_code;
  std::string country_name;
  std::string city_name;
  std::optional<double> latitude;  ///< Set together with longitude.
  std::optional<double> longitude;
};

/// Appends `geo`'s JSON object: country_iso_code, country_name, city_name (each when known) and
/// location {lat, lon} (DESIGN §4).
void AppendGeoJson(std::string& out, const GeoLocation& geo);

class GeoIpDatabase;

/// A function appending the `geo` object of an address (AppendGeoJson), false when unknown,
/// with a cache of `cache_entries` of its own: for one thread at a time. `database` must outlive
/// it.
[[nodiscard]] std::function<bool(std::string_view address, std::string& geo_json)> GeoJsonLocator(
    const GeoIpDatabase& database, size_t cache_entries);

/// Reads MaxMind DB files with libmaxminddb: MaxMind GeoIP2/GeoLite2 City (nested
/// `country.iso_code`, `city.names.en`, `location.latitude`) and the DB-IP lite files of
/// ip-location-db (flat `country_code`, `city`, `latitude`, `longitude`, one file per address
/// family). Every file is asked in turn until one knows the address. Thread-safe.
class GeoIpDatabase {
 public:
  /// `path` is one .mmdb file, or a folder whose *.mmdb files are all read.
  [[nodiscard]] static Result<std::unique_ptr<GeoIpDatabase>> Open(
      const std::filesystem::path& path);
  ~GeoIpDatabase();
  GeoIpDatabase(const GeoIpDatabase&) = delete;
  GeoIpDatabase& operator=(const GeoIpDatabase&) = delete;

  /// Nothing for addresses that are invalid, private or unknown to every file.
  [[nodiscard]] std::optional<GeoLocation> Lookup(std::string_view address) const;

  [[nodiscard]] const std::vector<std::filesystem::path>& files() const { return files_; }

 private:
  GeoIpDatabase() = default;

  std::vector<std::filesystem::path> files_;
  std::vector<std::unique_ptr<MMDB_s>> databases_;
};

/// Remembers the most recent lookups of one worker (logs repeat the same few addresses).
/// Not thread-safe: one per worker.
class GeoIpCache {
 public:
  GeoIpCache(const GeoIpDatabase& database, size_t capacity);

  /// Null when the address has no location. Valid until the next call.
  [[nodiscard]] const GeoLocation* Lookup(std::string_view address);

 private:
  using Entry = std::pair<std::string, std::optional<GeoLocation>>;

  const GeoIpDatabase& database_;
  const size_t capacity_;
  std::list<Entry> recent_;  // Most recently used first.
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
};

}  // namespace lp::processor
