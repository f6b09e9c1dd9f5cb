#include "core/murmur2.h"

#include <gtest/gtest.h>

namespace lp {
namespace {

// Expected values from Apache Kafka's UtilsTest.testMurmur2, so partitions agree with Java.
TEST(Murmur2Test, MatchesKafkaReferenceValues) {
  EXPECT_EQ(Murmur2("21"), -973932308);
  EXPECT_EQ(Murmur2("foobar"), -790332482);
  EXPECT_EQ(Murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(Murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(Murmur2("abc"), 479470107);
}

TEST(Murmur2Test, PartitionIsPositiveHashModuloCount) {
  for (const char* key : {"21", "foobar", "abc", "webapp-frontend", "payment-service"}) {
    const int32_t partition = PartitionForKey(key, 8);
    EXPECT_GE(partition, 0);
    EXPECT_LT(partition, 8);
    EXPECT_EQ(partition,
              static_cast<int32_t>((static_cast<uint32_t>(Murmur2(key)) & 0x7fffffff) % 8));
  }
}

}  // namespace
}  // namespace lp
