#include "core/readiness.h"

#include <gtest/gtest.h>

namespace lp {
namespace {

TEST(ReadinessTest, ReportsEachComponentThatIsNotReadyWithWhyAndSince) {
  Readiness readiness;
  auto& store = readiness.Add("search store");
  auto& archive = readiness.Add("archive");
  EXPECT_TRUE(readiness.Problems().empty());
  store.SetNotReady("database disk image is malformed");
  archive.SetNotReady("bucket unreachable");
  const auto problems = readiness.Problems();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(problems[0].starts_with("search store: database disk image is malformed (since "))
      << problems[0];
  EXPECT_TRUE(problems[1].starts_with("archive: bucket unreachable (since ")) << problems[1];
  store.SetReady();
  EXPECT_EQ(readiness.Problems().size(), 1u);
}

TEST(ReadinessTest, KeepsTheFirstSinceWhileStillNotReady) {
  Readiness readiness;
  auto& store = readiness.Add("store");
  store.SetNotReady("first");
  const auto first = readiness.Problems()[0];
  store.SetNotReady("second");
  const auto second = readiness.Problems()[0];
  EXPECT_EQ(first.substr(first.find("(since")), second.substr(second.find("(since")));
  EXPECT_NE(second.find("second"), std::string::npos);
}

}  // namespace
}  // namespace lp
