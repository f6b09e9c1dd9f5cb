#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lp::http {

/// What every request of one client shares: its deadlines and its TLS settings (one place for
/// them, so that TLS configuration means the same for every outgoing connection).
struct CurlClientOptions {
  std::chrono::milliseconds timeout{30'000};  ///< Whole request, connection included.
  std::chrono::milliseconds connect_timeout{5'000};
  bool verify_tls = true;  ///< Peer certificate and host name. TLS 1.2 or later, always.
  std::string ca_file{};   ///< PEM bundle to verify servers with, instead of the system's.
  /// A client certificate (PEM, then its intermediates) and its key, for mutual TLS.
  std::string certificate_file{};
  std::string key_file{};
};

struct CurlRequest {
  std::string_view method = "GET";  ///< GET, HEAD, PUT, POST, DELETE, ...
  std::string url{};
  std::vector<std::string> headers{};  ///< "Name: value"; "Name:" removes a default header.
  std::string_view body{};
  /// Send the body as a streamed upload (PUT with Content-Length) instead of as request fields;
  /// SigV4-signed S3 requests need the upload form.
  bool upload = false;
  std::string username{};  ///< Basic authentication, or SigV4's access key.
  std::string password{};  ///< Basic authentication, or SigV4's secret key.
  /// libcurl's CURLOPT_AWS_SIGV4 provider string, e.g. "aws:amz:us-east-1:s3"; empty: unsigned.
  std::string aws_sigv4{};
  /// Ask for compressed answers and decode them (Accept-Encoding: what libcurl supports).
  bool accept_compressed = false;
  /// Keep the answer's headers whose lower-case names start with this; empty keeps none.
  std::string keep_headers_prefix{};
  /// When set, the transfer is aborted (its connection closed) as soon as this returns true;
  /// checked as data moves and about once a second while waiting. Thread-safe callable.
  std::function<bool()> cancelled{};
  /// When set, the request ends by then at the latest (it shortens the client's timeout).
  std::optional<std::chrono::steady_clock::time_point> deadline{};
};

struct CurlResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< Lower-case names; see keep_headers_prefix.
  bool reused_connection = false;              ///< No new connection was opened for this request.
};

/// The one HTTP client for outgoing requests (Elasticsearch/OpenSearch, S3, the command-line
/// tools), on libcurl: the library is initialized once per process, every libcurl call is
/// checked, easy handles (and so their keep-alive connections) are pooled and reused, and each
/// request is bounded by the client's deadlines. Any HTTP status is a response; a connection
/// failure or a deadline is a retryable error naming the URL. Thread-safe.
class CurlClient {
 public:
  explicit CurlClient(CurlClientOptions options = {});
  ~CurlClient();
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  [[nodiscard]] Result<CurlResponse> Perform(const CurlRequest& request);

  [[nodiscard]] const CurlClientOptions& options() const { return options_; }

 private:
  [[nodiscard]] Result<CurlResponse> PerformWith(void* handle, const CurlRequest& request);
  [[nodiscard]] void* TakeHandle();
  void ReturnHandle(void* handle);

  const CurlClientOptions options_;
  std::mutex mutex_;
  std::vector<void*> handles_;
};

}  // namespace lp::http
