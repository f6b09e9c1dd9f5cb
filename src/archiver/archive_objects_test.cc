#include "archiver/archive_objects.h"

#include <gtest/gtest.h>

#include <map>

namespace lp::archiver {
namespace {

queue::ConsumedRecord Record(int64_t offset, std::string value, int64_t timestamp_ms = 0) {
  return queue::ConsumedRecord{.topic = "app-logs",
                               .partition = 3,
                               .offset = offset,
                               .timestamp_ms = timestamp_ms,
                               .key = "svc",
                               .value = std::move(value),
                               .headers = {}};
}

TEST(ArchiveObjectBuilderTest, SplitsABatchByEventDateWithStableKeysAndRawBytes) {
  const std::vector<queue::ConsumedRecord> records = {
      Record(7, R"({"timestamp":"2025-10-30T23:59:59.999Z","service":"a"})"),
      Record(8, R"({"timestamp":"2025-10-31T01:00:00+05:30","service":"b"})"),  // 30th in UTC
      Record(9, R"({"timestamp":"2025-10-31T00:00:00Z","service":"c"})"),
      Record(10, R"({"service":"no time"})", 1761955200000),  // 2025-11-01, the record's time
  };
  ArchiveObjectBuilder builder;
  const auto objects = builder.Build(records, ".ndjson.gz");
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0].key, "2025/10/30/app-logs-3-00000000000000000007.ndjson.gz");
  EXPECT_EQ(objects[0].ndjson, records[0].value + "\n" + records[1].value + "\n");
  EXPECT_EQ(objects[0].metadata.at("first-offset"), "7");
  EXPECT_EQ(objects[0].metadata.at("last-offset"), "8");
  EXPECT_EQ(objects[0].metadata.at("count"), "2");
  EXPECT_EQ(objects[0].metadata.at("line-offsets"), "7-8");
  EXPECT_EQ(objects[1].key, "2025/10/31/app-logs-3-00000000000000000009.ndjson.gz");
  EXPECT_EQ(objects[1].ndjson, records[2].value + "\n");
  EXPECT_EQ(objects[2].key, "2025/11/01/app-logs-3-00000000000000000010.ndjson.gz");

  const auto again = builder.Build(records, ".ndjson.gz");
  for (size_t i = 0; i < objects.size(); ++i) {
    EXPECT_EQ(again[i].key, objects[i].key);
    EXPECT_EQ(again[i].ndjson, objects[i].ndjson);
  }
}

TEST(ArchiveObjectBuilderTest, KeysEachTenantsEventsUnderItsOwnFolder) {
  const std::vector<queue::ConsumedRecord> records = {
      Record(1, R"({"tenant":"acme","timestamp":"2025-10-30T10:00:00Z","service":"a"})"),
      Record(2, R"({"tenant":"default","timestamp":"2025-10-30T10:00:00Z","service":"a"})"),
      Record(3, R"({"timestamp":"2025-10-30T10:00:00Z","service":"a"})"),
      Record(4, R"({"tenant":"globex","timestamp":"2025-10-30T10:00:00Z","service":"a"})"),
      Record(5, R"({"tenant":"acme","timestamp":"2025-10-31T10:00:00Z","service":"a"})"),
      // Not a name a token can have (written to the queue by something else): no folder of its own.
      Record(6, R"({"tenant":"../etc","timestamp":"2025-10-30T10:00:00Z","service":"a"})"),
  };
  ArchiveObjectBuilder builder;
  const auto objects = builder.Build(records, ".ndjson.zst");
  std::map<std::string, std::string> lines;
  for (const auto& object : objects) lines[object.key] = object.metadata.at("line-offsets");
  EXPECT_EQ(lines,
            (std::map<std::string, std::string>{
                {"2025/10/30/app-logs-3-00000000000000000002.ndjson.zst", "2-3,6"},
                {"tenant=acme/2025/10/30/app-logs-3-00000000000000000001.ndjson.zst", "1"},
                {"tenant=acme/2025/10/31/app-logs-3-00000000000000000005.ndjson.zst", "5"},
                {"tenant=globex/2025/10/30/app-logs-3-00000000000000000004.ndjson.zst", "4"}}));
}

TEST(ArchiveObjectBuilderTest, LeavesOutCopiesOfEventsArchivedBefore) {
  std::vector<queue::ConsumedRecord> records = {
      Record(7, R"({"timestamp":"2025-10-30T10:00:00Z","service":"a"})"),
      Record(8, R"({"timestamp":"2025-10-30T10:00:01Z","service":"replayed"})"),
      Record(9, R"({"timestamp":"2025-10-30T10:00:02Z","service":"c"})"),
  };
  records[1].headers = {{std::string(queue::kOriginalIdHeader), "app-logs-3-2"}};
  ArchiveObjectBuilder builder;
  const auto objects = builder.Build(records, ".ndjson.gz");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].ndjson, records[0].value + "\n" + records[2].value + "\n");
  EXPECT_EQ(objects[0].metadata.at("count"), "2");
  EXPECT_EQ(objects[0].metadata.at("line-offsets"), "7,9");
  EXPECT_TRUE(builder.Build(std::span(records).subspan(1, 1), ".ndjson.gz").empty());
}

// Each line's offset is in the metadata (runs of consecutive offsets), which replay needs to give
// a line its original id; an object ends at 32 runs, so the metadata stays small.
TEST(ArchiveObjectBuilderTest, RecordsEachLinesOffsetInAtMost32Runs) {
  std::vector<queue::ConsumedRecord> records;
  for (int64_t offset = 100; offset < 200; ++offset) {
    // Two dates alternating every other record: runs of one offset for each date.
    const bool first_day = offset % 4 < 2;
    records.push_back(Record(offset, first_day ? R"({"timestamp":"2025-10-30T10:00:00Z"})"
                                               : R"({"timestamp":"2025-10-31T10:00:00Z"})"));
  }
  ArchiveObjectBuilder builder;
  const auto objects = builder.Build(records, ".ndjson.gz");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].key, "2025/10/30/app-logs-3-00000000000000000100.ndjson.gz");
  std::string expected;
  for (int64_t run = 100; run < 200; run += 4) {
    expected += (expected.empty() ? "" : ",") + std::to_string(run) + "-" + std::to_string(run + 1);
  }
  EXPECT_EQ(objects[0].metadata.at("line-offsets"), expected);  // 25 runs: one object.

  std::vector<queue::ConsumedRecord> scattered;
  for (int64_t offset = 0; offset < 80; offset += 2) scattered.push_back(Record(offset, "{}", 0));
  const auto split = builder.Build(scattered, ".ndjson.gz");
  ASSERT_EQ(split.size(), 2u);  // 40 runs of one offset: 32, then 8.
  EXPECT_EQ(split[0].metadata.at("count"), "32");
  EXPECT_EQ(split[1].key, "1970/01/01/app-logs-3-00000000000000000064.ndjson.gz");
  EXPECT_EQ(split[1].metadata.at("line-offsets"), "64,66,68,70,72,74,76,78");
}

}  // namespace
}  // namespace lp::archiver
