#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/backoff.h"
#include "http/curl_client.h"
#include "objectstore/object_store.h"

namespace lp::objectstore::s3 {

struct S3Options {
  std::string endpoint{};  ///< http(s)://host:port, path-style addressing.
  std::string region = "us-east-1";
  std::string access_key_id{};
  std::string secret_access_key{};
  std::string
      ca_file{};  ///< PEM CA bundle an https:// endpoint is verified with; empty: the system's.
  std::chrono::milliseconds timeout{30'000};
  /// Per request, for timeouts, connection failures, 429 and 5xx.
  RetryPolicy retry{.initial_backoff = std::chrono::milliseconds(100),
                    .max_backoff = std::chrono::seconds(30),
                    .max_attempts = 5};
};

/// S3 over libcurl: path-style requests signed with SigV4 (libcurl's CURLOPT_AWS_SIGV4, with the
/// payload's SHA-256 in `x-amz-content-sha256`) over the shared http::CurlClient (keep-alive
/// connections, deadlines).
/// Transient failures are retried with backoff before they are returned as retryable; 403 and a
/// wrong region are permanent errors that say which setting to check. Thread-safe.
class S3ObjectStore final : public ObjectStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<S3ObjectStore>> Create(S3Options options);
  /// From S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and S3_CA_FILE.
  [[nodiscard]] static Result<std::unique_ptr<S3ObjectStore>> FromEnvironment();

  [[nodiscard]] Result<void> EnsureBucket(std::string_view bucket) override;
  [[nodiscard]] Result<void> Put(std::string_view bucket, std::string_view key,
                                 std::string_view body, const Metadata& metadata) override;
  [[nodiscard]] Result<StoredObject> Get(std::string_view bucket, std::string_view key) override;
  [[nodiscard]] Result<std::vector<std::string>> List(std::string_view bucket,
                                                      std::string_view prefix) override;
  [[nodiscard]] Result<std::vector<std::string>> ListFolders(std::string_view bucket,
                                                             std::string_view prefix) override;

  struct Response {
    long status = 0;
    std::string body;
    Metadata metadata;
  };

 private:
  /// Every page of a ListObjectsV2 of `prefix` (with `folders`, grouped by '/'), each handed
  /// to `collect`; what it collected, sorted.
  [[nodiscard]] Result<std::vector<std::string>> ListPages(
      std::string_view bucket, std::string_view prefix, bool folders,
      const std::function<void(std::string_view page, std::vector<std::string>& out)>& collect);
  explicit S3ObjectStore(S3Options options)
      : options_(std::move(options)),
        http_(http::CurlClientOptions{.timeout = options_.timeout,
                                      .connect_timeout = std::chrono::seconds(10),
                                      .ca_file = options_.ca_file}) {}

  /// One request with retries; any HTTP status is a response, transport trouble an error.
  [[nodiscard]] Result<Response> Send(std::string_view method, const std::string& path,
                                      const std::string& query, std::string_view body,
                                      const Metadata& metadata);
  [[nodiscard]] Result<Response> SendOnce(std::string_view method, const std::string& url,
                                          std::string_view body, const Metadata& metadata);

  const S3Options options_;
  http::CurlClient http_;
};

}  // namespace lp::objectstore::s3
