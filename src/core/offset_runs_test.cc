#include "core/offset_runs.h"

#include <gtest/gtest.h>

namespace lp {
namespace {

TEST(OffsetRunsTest, FormatsAndParsesRunsOfConsecutiveOffsets) {
  const std::string text = FormatOffsetRuns({{7, 9}, {12, 12}, {20, 21}});
  EXPECT_EQ(text, "7-9,12,20-21");
  EXPECT_EQ(ParseOffsetRuns(text, 100), (std::vector<int64_t>{7, 8, 9, 12, 20, 21}));
  EXPECT_EQ(ParseOffsetRuns("", 100), std::vector<int64_t>{});
}

TEST(OffsetRunsTest, RefusesMalformedDescendingAndOversizedLists) {
  for (const char* bad : {"7-", "-7", "a", "7,,8", "9-7", "7,7", "8,3", "1-2,2-3", "7 ", "-1"}) {
    EXPECT_FALSE(ParseOffsetRuns(bad, 100).has_value()) << bad;
  }
  // Never more than the caller expects, however wide a run claims to be.
  EXPECT_FALSE(ParseOffsetRuns("0-9223372036854775806", 1000).has_value());
  EXPECT_FALSE(ParseOffsetRuns("0-3", 3).has_value());
  EXPECT_TRUE(ParseOffsetRuns("0-2", 3).has_value());
  EXPECT_FALSE(ParseOffsetRuns("0-1,5,9", 3).has_value());
  EXPECT_FALSE(ParseOffsetRuns("0", 0).has_value());
}

}  // namespace
}  // namespace lp
