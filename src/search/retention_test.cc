#include "search/retention.h"

#include <gtest/gtest.h>

#include "core/testing/temp_directory.h"
#include "search/sqlite/sqlite_search_store.h"

namespace lp::search {
namespace {

using namespace std::chrono_literals;

TEST(RetentionTest, DeletesDocumentsOlderThanTheMaximumAge) {
  test_support::TempDirectory folder("search_retention");
  auto store = sqlite::SqliteSearchStore::Open(folder.path() / "search.db");
  ASSERT_TRUE(store.has_value());
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const int64_t day = 86'400'000;
  std::vector<SearchDocument> documents;
  for (const int64_t age_days : {40, 31, 29, 0}) {
    SearchDocument document;
    document.id = "doc-" + std::to_string(age_days);
    document.timestamp_ms = now - age_days * day;
    document.service = "web";
    document.level = "INFO";
    document.message = "m";
    document.json = "{}";
    documents.push_back(document);
  }
  ASSERT_TRUE((*store)->Write(documents).has_value());

  Retention retention(**store, std::chrono::hours(24 * 30), std::chrono::hours(1));
  retention.Start();
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while ((*store)->Search({})->total != 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  retention.Stop();
  EXPECT_EQ((*store)->Search({})->total, 2u);
}

}  // namespace
}  // namespace lp::search
