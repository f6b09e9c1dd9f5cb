#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/curl_client.h"
#include "search/search_store.h"

namespace lp::search::elastic {

struct ElasticClientOptions {
  /// Base URLs such as http://127.0.0.1:9200; requests fail over from one to the next.
  std::vector<std::string> hosts{};
  std::string username{};
  std::string password{};
  std::string api_key{};  ///< Sent as `Authorization: ApiKey <key>`; wins over username.
  std::string ca_file{};  ///< PEM bundle to verify the server with, instead of the system's.
  bool verify_tls = true;
  std::chrono::milliseconds timeout{30'000};
  /// Request bodies at least this large are sent gzip-compressed.
  size_t gzip_from_bytes = 4096;
};

struct ElasticResponse {
  long status = 0;
  std::string body;
};

/// HTTP to an Elasticsearch or OpenSearch cluster over the shared http::CurlClient (keep-alive
/// connections, deadlines, TLS options): gzip request bodies, compressed answers accepted,
/// failover across the configured hosts (the one that answered last is tried first). Any HTTP
/// status is a response; only when no host answers is the result a retryable error. A request
/// with a Cancellation is aborted (and its connection closed, which cancels a search in the
/// cluster) once it is cancelled, and it ends by the Cancellation's deadline. Thread-safe.
class ElasticClient {
 public:
  explicit ElasticClient(ElasticClientOptions options);
  ElasticClient(const ElasticClient&) = delete;
  ElasticClient& operator=(const ElasticClient&) = delete;

  [[nodiscard]] Result<ElasticResponse> Send(std::string_view method, std::string_view path,
                                             std::string_view body = {},
                                             std::string_view content_type = "application/json",
                                             const Cancellation* cancellation = nullptr);

 private:
  [[nodiscard]] Result<ElasticResponse> SendTo(const std::string& host, std::string_view method,
                                               std::string_view path, std::string_view body,
                                               std::string_view content_type,
                                               const Cancellation* cancellation);

  const ElasticClientOptions options_;
  http::CurlClient http_;
  std::mutex mutex_;
  size_t preferred_host_ = 0;
};

}  // namespace lp::search::elastic
