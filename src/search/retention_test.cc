#include "search/retention.h"

#include <gtest/gtest.h>

#include "core/testing/temp_directory.h"
#include "search/logstore/log_store.h"

namespace lp::search {
namespace {

using namespace std::chrono_literals;

TEST(RetentionTest, DeletesWhatArrivedBeforeTheMaximumAgeWhateverItsTimestamp) {
  test_support::TempDirectory folder("search_retention");
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const int64_t day = 86'400'000;
  int64_t arrival = now - 40 * day;
  metrics::Registry registry;
  auto store = logstore::LogStore::Open(
      {.directory = folder.path(), .clock_ms = [&arrival] { return arrival; }, .background = false},
      registry);
  ASSERT_TRUE(store.has_value());
  const auto write = [&](std::string id, int64_t timestamp_ms) {
    SearchDocument document{.id = std::move(id),
                            .timestamp_ms = timestamp_ms,
                            .service = "web",
                            .level = "INFO",
                            .message = "m",
                            .json = "{}"};
    ASSERT_TRUE((*store)->Write(std::vector<SearchDocument>{document}).has_value());
    ASSERT_TRUE((*store)->Flush().has_value());
  };
  write("arrived-40-days-ago-dated-now", now);
  arrival = now - 29 * day;
  write("arrived-29-days-ago-dated-years-ago", now - 3000 * day);
  arrival = now;
  write("arrived-now-dated-years-ago", now - 3000 * day);

  Retention retention(**store, std::chrono::hours(24 * 30), std::chrono::hours(1));
  retention.Start();
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while ((*store)->Search({})->total != 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  retention.Stop();
  const auto page = (*store)->Search({});
  ASSERT_EQ(page->total, 2u);
  for (const auto& hit : page->hits) EXPECT_NE(hit.id, "arrived-40-days-ago-dated-now");
}

}  // namespace
}  // namespace lp::search
