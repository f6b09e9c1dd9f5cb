// Behaviour only a real S3 server shows: what wrong credentials and regions look like. Runs
// against the server of scripts/backends/s3 (scripts/test starts it and sets S3_ENDPOINT).
#include "objectstore/s3/s3_object_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

namespace lp::objectstore::s3 {
namespace {

S3Options FromEnvironment() {
  const char* endpoint = std::getenv("S3_ENDPOINT");
  if (endpoint == nullptr) return {};
  return S3Options{.endpoint = endpoint,
                   .region = std::getenv("S3_REGION") ? std::getenv("S3_REGION") : "us-east-1",
                   .access_key_id = std::getenv("AWS_ACCESS_KEY_ID"),
                   .secret_access_key = std::getenv("AWS_SECRET_ACCESS_KEY"),
                   .retry = {.initial_backoff = std::chrono::milliseconds(1),
                             .max_backoff = std::chrono::milliseconds(1),
                             .max_attempts = 2}};
}

class S3ObjectStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("S3_ENDPOINT") == nullptr) {
      GTEST_SKIP() << "S3_ENDPOINT is not set (scripts/test starts scripts/backends/s3)";
    }
  }
};

TEST_F(S3ObjectStoreTest, AWrongSecretIsAPermanentErrorNamingTheSetting) {
  auto options = FromEnvironment();
  options.secret_access_key = "not-the-secret";
  auto store = S3ObjectStore::Create(options);
  ASSERT_TRUE(store.has_value());
  const auto put = (*store)->EnsureBucket("wrong-secret-" + std::to_string(::getpid()));
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().error_class, ErrorClass::kPermanent) << put.error().message;
  EXPECT_NE(put.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos)
      << put.error().message;
}

TEST_F(S3ObjectStoreTest, AWrongRegionIsAPermanentErrorNamingTheSetting) {
  auto options = FromEnvironment();
  options.region = "eu-north-1";
  auto store = S3ObjectStore::Create(options);
  ASSERT_TRUE(store.has_value());
  const auto created = (*store)->EnsureBucket("wrong-region-" + std::to_string(::getpid()));
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().error_class, ErrorClass::kPermanent) << created.error().message;
  EXPECT_NE(created.error().message.find("S3_REGION"), std::string::npos)
      << created.error().message;
}

TEST(S3ObjectStoreOfflineTest, AnUnreachableEndpointIsRetryable) {
  auto store =
      S3ObjectStore::Create(S3Options{.endpoint = "http://127.0.0.1:1",
                                      .access_key_id = "a",
                                      .secret_access_key = "b",
                                      .retry = {.initial_backoff = std::chrono::milliseconds(1),
                                                .max_backoff = std::chrono::milliseconds(1),
                                                .max_attempts = 2}});
  ASSERT_TRUE(store.has_value());
  const auto got = (*store)->Get("bucket", "key");
  ASSERT_FALSE(got.has_value());
  EXPECT_TRUE(got.error().retryable()) << got.error().message;
  EXPECT_NE(got.error().message.find("127.0.0.1:1"), std::string::npos) << got.error().message;
}

TEST(S3ObjectStoreOfflineTest, RefusesIncompleteSettings) {
  EXPECT_FALSE(S3ObjectStore::Create(
                   {.endpoint = "127.0.0.1:9000", .access_key_id = "a", .secret_access_key = "b"})
                   .has_value());
  EXPECT_FALSE(S3ObjectStore::Create({.endpoint = "http://127.0.0.1:9000"}).has_value());
}

}  // namespace
}  // namespace lp::objectstore::s3
