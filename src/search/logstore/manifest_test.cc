#include "search/logstore/manifest.h"

#include <gtest/gtest.h>

namespace lp::search::logstore {
namespace {

TEST(ManifestTest, RoundTripsEveryField) {
  Manifest manifest{.next_part = 7, .next_seq = 99, .checkpoint = {{0, 10}, {3, 42}}};
  PartEntry part{.name = "part-000000000001.lp",
                 .rows = 5,
                 .bytes = 1234,
                 .min_arrival_ms = 100,
                 .max_arrival_ms = 200,
                 .max_seq = 98,
                 .source_min_offsets = {{0, 5}},
                 .id_ranges = {{"app-logs-0", {5, 9}}},
                 .other_ids = true,
                 .deleted = {1, 3}};
  manifest.parts.push_back(part);
  const auto decoded = DecodeManifest(EncodeManifest(manifest));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(decoded->next_part, 7u);
  EXPECT_EQ(decoded->next_seq, 99u);
  EXPECT_EQ(decoded->checkpoint, manifest.checkpoint);
  ASSERT_EQ(decoded->parts.size(), 1u);
  const auto& got = decoded->parts[0];
  EXPECT_EQ(got.name, part.name);
  EXPECT_EQ(got.rows, 5u);
  EXPECT_EQ(got.bytes, 1234u);
  EXPECT_EQ(got.min_arrival_ms, 100);
  EXPECT_EQ(got.max_arrival_ms, 200);
  EXPECT_EQ(got.source_min_offsets, part.source_min_offsets);
  EXPECT_EQ(got.id_ranges, part.id_ranges);
  EXPECT_TRUE(got.other_ids);
  EXPECT_EQ(got.deleted, part.deleted);
}

TEST(ManifestTest, RefusesADamagedOrTruncatedFile) {
  auto text = EncodeManifest(Manifest{.checkpoint = {{0, 10}}});
  auto damaged = text;
  damaged[damaged.find("10")] = '9';
  EXPECT_FALSE(DecodeManifest(damaged).has_value());
  EXPECT_FALSE(DecodeManifest(text.substr(0, text.size() / 2)).has_value());
}

TEST(ManifestTest, ParsesOffsetIds) {
  std::string_view prefix;
  int64_t offset = 0;
  ASSERT_TRUE(ParseOffsetId("app-logs-3-1234", prefix, offset));
  EXPECT_EQ(prefix, "app-logs-3");
  EXPECT_EQ(offset, 1234);
  EXPECT_FALSE(ParseOffsetId("my-custom-id", prefix, offset));
  EXPECT_FALSE(ParseOffsetId("1234", prefix, offset));
}

}  // namespace
}  // namespace lp::search::logstore
