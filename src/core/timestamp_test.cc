#include "core/timestamp.h"

#include <gtest/gtest.h>

namespace lp {
namespace {

TEST(TimestampTest, ParsesUtcWithMillis) {
  EXPECT_EQ(ParseRfc3339("2025-10-30T12:34:56.789Z"), 1761827696789);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
}

TEST(TimestampTest, AppliesOffsetsAndTruncatesFractions) {
  EXPECT_EQ(ParseRfc3339("2025-10-30T18:04:56.789123+05:30"), 1761827696789);
  EXPECT_EQ(ParseRfc3339("2025-10-30T07:34:56.7-05:00"), 1761827696700);
  EXPECT_EQ(ParseRfc3339("2025-10-30t12:34:56z"), 1761827696000);
  EXPECT_EQ(ParseRfc3339("2025-10-30 12:34:56Z"), 1761827696000);
}

TEST(TimestampTest, RejectsInvalidTimes) {
  for (const char* bad :
       {"", "2025-10-30", "2025-10-30T12:34:56", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z",
        "2025-10-30T24:00:00Z", "2025-10-30T12:60:00Z", "2025-10-30T12:34:56.Z",
        "2025-10-30T12:34:56+0530", "2025-10-30T12:34:56Zjunk", "yesterday", "2025/10/30T12:34:56Z",
        "1761827696"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(TimestampTest, AcceptsLeapDayOnlyInLeapYears) {
  EXPECT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(ParseRfc3339("2025-02-29T00:00:00Z").has_value());
}

TEST(TimestampTest, FormatsUtcWithThreeFractionDigits) {
  EXPECT_EQ(FormatRfc3339Millis(1761827696789), "2025-10-30T12:34:56.789Z");
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Millis(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Millis(253402300800000), "10000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(*ParseRfc3339("2025-10-30T18:04:56.7+05:30")),
            "2025-10-30T12:34:56.700Z");
}

}  // namespace
}  // namespace lp
