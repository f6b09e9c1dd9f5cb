#include "core/level.h"

#include <gtest/gtest.h>

namespace lp {
namespace {

struct LevelCase {
  const char* input;
  const char* normalized;
};

class LevelParseTest : public testing::TestWithParam<LevelCase> {};

TEST_P(LevelParseTest, NormalizesToUpperCaseName) {
  const auto level = ParseLevel(GetParam().input);
  ASSERT_TRUE(level.has_value()) << GetParam().input;
  EXPECT_EQ(LevelName(*level), GetParam().normalized);
}

INSTANTIATE_TEST_SUITE_P(AllNames, LevelParseTest,
                         testing::Values(LevelCase{"TRACE", "TRACE"}, LevelCase{"debug", "DEBUG"},
                                         LevelCase{"Info", "INFO"}, LevelCase{"WARN", "WARN"},
                                         LevelCase{"warning", "WARN"}, LevelCase{"error", "ERROR"},
                                         LevelCase{"FATAL", "FATAL"},
                                         LevelCase{"Critical", "FATAL"}));

TEST(LevelTest, RejectsUnknownNames) {
  for (const char* bad : {"", "INF", "NOTICE", "warn ", "ERR", "informational"}) {
    EXPECT_FALSE(ParseLevel(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace lp
