#include "archiver/archive_objects.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(objects[1].key, "2025/10/31/app-logs-3-00000000000000000009.ndjson.gz");
  EXPECT_EQ(objects[1].ndjson, records[2].value + "\n");
  EXPECT_EQ(objects[2].key, "2025/11/01/app-logs-3-00000000000000000010.ndjson.gz");

  const auto again = builder.Build(records, ".ndjson.gz");
  for (size_t i = 0; i < objects.size(); ++i) {
    EXPECT_EQ(again[i].key, objects[i].key);
    EXPECT_EQ(again[i].ndjson, objects[i].ndjson);
  }
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
  EXPECT_TRUE(builder.Build(std::span(records).subspan(1, 1), ".ndjson.gz").empty());
}

}  // namespace
}  // namespace lp::archiver
