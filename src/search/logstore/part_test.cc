#include "search/logstore/part.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/testing/temp_directory.h"

namespace lp::search::logstore {
namespace {

std::filesystem::path WriteSample(const std::filesystem::path& path, int rows) {
  std::filesystem::create_directories(path.parent_path());
  auto writer = PartWriter::Create(path, {.rows_per_block = 100});
  EXPECT_TRUE(writer.has_value());
  for (int i = 0; i < rows; ++i) {
    const std::string id = "app-logs-0-" + std::to_string(i);
    const std::string message = "event number " + std::to_string(i);
    const std::string json = R"({"n":)" + std::to_string(i) + "}";
    EXPECT_TRUE((*writer)
                    ->Add(RowView{.timestamp_ms = 1000 + i,
                                  .seq = static_cast<uint64_t>(i + 1),
                                  .level = static_cast<uint8_t>(i % 3),
                                  .service = i % 2 ? "web" : "auth",
                                  .host = i % 5 == 0 ? "" : "host-" + std::to_string(i % 5),
                                  .id = id,
                                  .message = message,
                                  .json = json})
                    .has_value());
  }
  EXPECT_TRUE((*writer)->Finish().has_value());
  return path;
}

TEST(PartTest, WritesBlocksThatDecodeToTheSameRows) {
  test_support::TempDirectory folder{"part"};
  const auto part = Part::Open(WriteSample(folder.path() / "p.lp", 250));
  ASSERT_TRUE(part.has_value()) << part.error().message;
  ASSERT_EQ((*part)->blocks().size(), 3u);
  EXPECT_EQ((*part)->rows(), 250u);
  const auto& block = (*part)->blocks()[1];
  EXPECT_EQ(block.first_row, 100u);
  EXPECT_EQ(block.min_timestamp_ms, 1100);
  EXPECT_EQ(block.max_timestamp_ms, 1199);
  EXPECT_EQ(block.level_counts[0] + block.level_counts[1] + block.level_counts[2], 100u);
  DecodedBlock decoded;
  ASSERT_TRUE((*part)->Decode(1, (1U << kColumns) - 1, decoded).has_value());
  EXPECT_EQ(decoded.timestamps[5], 1105);
  EXPECT_EQ(decoded.seqs[5], 106u);
  EXPECT_EQ(decoded.ids[5], "app-logs-0-105");
  EXPECT_EQ(decoded.messages[5], "event number 105");
  EXPECT_EQ(decoded.jsons[5], R"({"n":105})");
  EXPECT_EQ(decoded.services[decoded.service_codes[5]], "web");
  EXPECT_EQ(decoded.hosts[decoded.host_codes[5]], "");
  EXPECT_EQ(decoded.hosts[decoded.host_codes[7]], "host-2");
  EXPECT_EQ(decoded.hosts.size(), 5u);
  // Rows 100-199: web on odd rows, auth on even; levels cycle through 0, 1, 2.
  EXPECT_TRUE((*part)->has_service_levels());
  ASSERT_EQ(decoded.service_levels.size(), 2u);
  EXPECT_EQ(decoded.service_levels[0].service, "auth");
  EXPECT_EQ(decoded.service_levels[1].service, "web");
  uint32_t web_rows = 0;
  for (const uint32_t count : decoded.service_levels[1].counts) web_rows += count;
  EXPECT_EQ(web_rows, 50u);
  EXPECT_EQ(decoded.service_levels[0].counts[0], 17u);  // Rows 102, 108, ..., 198.
  EXPECT_EQ(*(*part)->FindId("app-logs-0-205"), std::optional<uint32_t>(205));
  EXPECT_EQ(*(*part)->FindId("app-logs-0-999"), std::nullopt);
}

TEST(PartTest, DetectsATruncatedOrCorruptedFile) {
  test_support::TempDirectory folder{"part"};
  const auto path = WriteSample(folder.path() / "p.lp", 250);
  const auto size = std::filesystem::file_size(path);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(size / 2));
    const char byte = static_cast<char>(file.get());
    file.seekp(static_cast<std::streamoff>(size / 2));
    file.put(static_cast<char>(~byte));
  }
  auto corrupted = Part::Open(path);
  ASSERT_FALSE(corrupted.has_value());
  EXPECT_NE(corrupted.error().message.find("checksum"), std::string::npos)
      << corrupted.error().message;
  std::filesystem::resize_file(path, size - 10);
  EXPECT_FALSE(Part::Open(path).has_value());
}

// Parts written before the json column was split into shapes and values (format version 1, the
// fuzz corpus keeps one) still open and decode: a data dir is never left behind by an upgrade.
TEST(PartTest, ReadsAPartOfFormatVersion1) {
  const auto part = Part::Open(std::filesystem::path(LOGPIPE_SOURCE_DIR) /
                               "tests/fuzz/corpus/logstore_part/twelve-events.lp");
  ASSERT_TRUE(part.has_value()) << part.error().message;
  ASSERT_EQ((*part)->rows(), 12u);
  DecodedBlock decoded;
  ASSERT_TRUE((*part)->Decode(0, (1U << kColumns) - 1, decoded).has_value());
  ASSERT_EQ(decoded.jsons.size(), 12u);
  EXPECT_EQ(decoded.ids[0], "app-logs-5-6");
  EXPECT_EQ(decoded.messages[0], "request 11 handled in 77 ms");
  EXPECT_EQ(decoded.jsons[0],
            R"({"payload":{"status":475,"ok":true},"ingested_at":"2026-12-02T10:49:20.021Z"})");
  EXPECT_FALSE((*part)->has_service_levels());
  EXPECT_TRUE(decoded.service_levels.empty());
}

// Parts of format version 2 (no service levels column) open, decode every column they have and
// read document fields straight from the json column.
TEST(PartTest, ReadsAPartOfFormatVersion2) {
  const auto part = Part::Open(std::filesystem::path(LOGPIPE_SOURCE_DIR) /
                               "tests/fuzz/corpus/logstore_part/twelve-events-v2.lp");
  ASSERT_TRUE(part.has_value()) << part.error().message;
  EXPECT_FALSE((*part)->has_service_levels());
  DecodedBlock decoded;
  ASSERT_TRUE((*part)->Decode(0, (1U << kColumns) - 1, decoded).has_value());
  EXPECT_TRUE(decoded.service_levels.empty());
  const size_t rows = decoded.timestamps.size();
  ASSERT_GT(rows, 0u);
  ASSERT_EQ(decoded.jsons.size(), rows);
  const std::vector<std::vector<std::string>> paths = {{"payload", "status"}};
  const auto read = (*part)->DecodeLeaves(0, paths, decoded);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ASSERT_TRUE(*read);
  size_t statuses = 0;
  for (size_t row = 0; row < rows; ++row) {
    const auto& leaf = decoded.leaves[0][row];
    if (leaf.kind == JsonLeaf::Kind::kMissing) continue;
    ++statuses;
    EXPECT_NE(decoded.jsons[row].find("\"status\":" + std::string(leaf.text)), std::string::npos)
        << decoded.jsons[row];
  }
  EXPECT_GT(statuses, 0u);
}

}  // namespace
}  // namespace lp::search::logstore
