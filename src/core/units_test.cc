#include "core/units.h"

#include <gtest/gtest.h>

namespace lp {
namespace {

using std::chrono::milliseconds;

TEST(UnitsTest, ParsesByteSizes) {
  EXPECT_EQ(ParseByteSize("1024"), 1024u);
  EXPECT_EQ(ParseByteSize("10MiB"), 10u << 20);
  EXPECT_EQ(ParseByteSize("256 KiB"), 256u << 10);
  EXPECT_EQ(ParseByteSize("2GB"), 2'000'000'000u);
  EXPECT_FALSE(ParseByteSize("ten").has_value());
  EXPECT_FALSE(ParseByteSize("10XB").has_value());
  EXPECT_FALSE(ParseByteSize("-1").has_value());
  EXPECT_FALSE(ParseByteSize("99999999999TiB").has_value());
}

TEST(UnitsTest, ParsesDurations) {
  EXPECT_EQ(ParseDuration("60"), milliseconds(60'000));
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("15m"), milliseconds(900'000));
  EXPECT_EQ(ParseDuration("7d"), milliseconds(604'800'000));
  EXPECT_FALSE(ParseDuration("soon").has_value());
  EXPECT_FALSE(ParseDuration("5y").has_value());
}

TEST(UnitsTest, FormatsExactBinaryUnits) {
  EXPECT_EQ(FormatByteSize(10u << 20), "10MiB");
  EXPECT_EQ(FormatByteSize(1000), "1000B");
}

}  // namespace
}  // namespace lp
