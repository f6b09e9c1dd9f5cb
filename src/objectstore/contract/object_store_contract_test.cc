// One contract for every implementation of the object store seam, run against a real S3 server
// (scripts/backends/s3, which scripts/test starts) as well as the local folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <thread>

#include "core/testing/temp_directory.h"
#include "objectstore/local/local_object_store.h"
#include "objectstore/object_store.h"
#include "objectstore/s3/s3_object_store.h"

namespace lp::objectstore {
namespace {

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<ObjectStore>(const std::filesystem::path& folder)> make;
};

// The S3 run is always registered, so that CTest (which lists tests when they are built) knows
// it; it skips itself when no server is configured, and scripts/test always configures one.
std::vector<StoreFactory> Factories() {
  return {{"local",
           [](const std::filesystem::path& folder) {
             return std::unique_ptr<ObjectStore>(new local::LocalObjectStore(folder));
           }},
          {"s3", [](const std::filesystem::path&) -> std::unique_ptr<ObjectStore> {
             auto store = s3::S3ObjectStore::FromEnvironment();
             EXPECT_TRUE(store.has_value()) << store.error().message;
             return store ? std::move(*store) : nullptr;
           }}};
}

class ObjectStoreContractTest : public testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    if (GetParam().name == "s3" && std::getenv("S3_ENDPOINT") == nullptr) {
      GTEST_SKIP() << "S3_ENDPOINT is not set (scripts/test starts scripts/backends/s3)";
    }
    store_ = GetParam().make(folder_.path());
    ASSERT_NE(store_, nullptr);
    // One bucket per test, so that tests never see each other's objects on a shared server.
    static int counter = 0;
    bucket_ = "contract-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const auto created = store_->EnsureBucket(bucket_);
    ASSERT_TRUE(created.has_value()) << created.error().message;
  }

  test_support::TempDirectory folder_{"object_contract"};
  std::unique_ptr<ObjectStore> store_;
  std::string bucket_;
};

TEST_P(ObjectStoreContractTest, PutThenGetReturnsBodyAndMetadata) {
  std::string body(300'000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7);
  const Metadata metadata{{"first-offset", "17"}, {"count", "100"}};
  const auto put =
      store_->Put(bucket_, "2025/10/30/app-logs-3-00000000000000000017.ndjson.gz", body, metadata);
  ASSERT_TRUE(put.has_value()) << put.error().message;
  const auto got = store_->Get(bucket_, "2025/10/30/app-logs-3-00000000000000000017.ndjson.gz");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->body, body);
  EXPECT_EQ(got->metadata, metadata);
}

TEST_P(ObjectStoreContractTest, PutOverwritesAndEnsureBucketIsIdempotent) {
  ASSERT_TRUE(store_->Put(bucket_, "a/key", "first", {{"n", "1"}}).has_value());
  ASSERT_TRUE(store_->Put(bucket_, "a/key", "second", {{"n", "2"}}).has_value());
  const auto got = store_->Get(bucket_, "a/key");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->body, "second");
  EXPECT_EQ(got->metadata.at("n"), "2");
  EXPECT_TRUE(store_->EnsureBucket(bucket_).has_value());
  EXPECT_EQ(store_->Get(bucket_, "a/key")->body, "second");
}

TEST_P(ObjectStoreContractTest, ListsKeysUnderAPrefixSorted) {
  for (const char* key : {"2025/10/31/b", "2025/10/30/z", "2025/10/30/a", "2025/11/01/c"}) {
    ASSERT_TRUE(store_->Put(bucket_, key, key, {}).has_value()) << key;
  }
  const auto day = store_->List(bucket_, "2025/10/30/");
  ASSERT_TRUE(day.has_value()) << day.error().message;
  EXPECT_EQ(*day, (std::vector<std::string>{"2025/10/30/a", "2025/10/30/z"}));
  const auto month = store_->List(bucket_, "2025/10/");
  ASSERT_TRUE(month.has_value());
  EXPECT_EQ(month->size(), 3u);
  const auto all = store_->List(bucket_, "");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 4u);
  EXPECT_TRUE(store_->List(bucket_, "2024/")->empty());
}

TEST_P(ObjectStoreContractTest, ListsTheFoldersDirectlyUnderAPrefix) {
  for (const char* key :
       {"2025/10/31/b", "2025/10/30/z", "2025/10/30/a", "2025/11/01/c", "2024/01/01/d", "top"}) {
    ASSERT_TRUE(store_->Put(bucket_, key, key, {}).has_value()) << key;
  }
  const auto years = store_->ListFolders(bucket_, "");
  ASSERT_TRUE(years.has_value()) << years.error().message;
  EXPECT_EQ(*years, (std::vector<std::string>{"2024/", "2025/"}));
  EXPECT_EQ(*store_->ListFolders(bucket_, "2025/"),
            (std::vector<std::string>{"2025/10/", "2025/11/"}));
  EXPECT_EQ(*store_->ListFolders(bucket_, "2025/10/"),
            (std::vector<std::string>{"2025/10/30/", "2025/10/31/"}));
  EXPECT_TRUE(store_->ListFolders(bucket_, "2025/10/30/")->empty());
  EXPECT_TRUE(store_->ListFolders(bucket_, "1999/")->empty());
}

TEST_P(ObjectStoreContractTest, AMissingObjectIsNotFound) {
  const auto got = store_->Get(bucket_, "nothing/here");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().error_class, ErrorClass::kNotFound) << got.error().message;
}

TEST_P(ObjectStoreContractTest, RefusesBadKeys) {
  for (const char* key : {"", "/leading", "a//b", "a/../b", "./a", "trailing/"}) {
    const auto put = store_->Put(bucket_, key, "x", {});
    ASSERT_FALSE(put.has_value()) << key;
    EXPECT_EQ(put.error().error_class, ErrorClass::kPermanent) << key;
  }
}

TEST_P(ObjectStoreContractTest, ConcurrentPutsOfOneKeyLeaveOneWholeObject) {
  const std::string first(100'000, 'a');
  const std::string second(100'000, 'b');
  std::vector<std::jthread> writers;
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([&, i] {
      for (int n = 0; n < 5; ++n) {
        EXPECT_TRUE(store_->Put(bucket_, "same", i % 2 ? first : second, {}).has_value());
      }
    });
  }
  writers.clear();
  const auto got = store_->Get(bucket_, "same");
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->body == first || got->body == second);
}

INSTANTIATE_TEST_SUITE_P(Implementations, ObjectStoreContractTest, testing::ValuesIn(Factories()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lp::objectstore
