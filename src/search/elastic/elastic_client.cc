#include "search/elastic/elastic_client.h"

#include <libdeflate.h>

#include <memory>

namespace lp::search::elastic {
namespace {

std::string Gzip(std::string_view body) {
  std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)> compressor(
      libdeflate_alloc_compressor(1), libdeflate_free_compressor);
  std::string out(libdeflate_gzip_compress_bound(compressor.get(), body.size()), '\0');
  out.resize(
      libdeflate_gzip_compress(compressor.get(), body.data(), body.size(), out.data(), out.size()));
  return out;
}

}  // namespace

ElasticClient::ElasticClient(ElasticClientOptions options)
    : options_(std::move(options)),
      http_(http::CurlClientOptions{.timeout = options_.timeout,
                                    .verify_tls = options_.verify_tls,
                                    .ca_file = options_.ca_file}) {}

Result<ElasticResponse> ElasticClient::SendTo(const std::string& host, std::string_view method,
                                              std::string_view path, std::string_view body,
                                              std::string_view content_type,
                                              const Cancellation* cancellation) {
  http::CurlRequest request{.method = method,
                            .url = host + std::string(path),
                            .username = options_.api_key.empty() ? options_.username : "",
                            .password = options_.api_key.empty() ? options_.password : "",
                            .accept_compressed = true};
  std::string compressed;
  request.body = body;
  if (!body.empty()) {
    request.headers.push_back("Content-Type: " + std::string(content_type));
    if (body.size() >= options_.gzip_from_bytes) {
      compressed = Gzip(body);
      request.body = compressed;
      request.headers.emplace_back("Content-Encoding: gzip");
    }
  }
  if (!options_.api_key.empty())
    request.headers.push_back("Authorization: ApiKey " + options_.api_key);
  if (cancellation != nullptr) {
    request.cancelled = [cancellation] { return cancellation->cancelled(); };
    if (cancellation->deadline() != std::chrono::steady_clock::time_point::max()) {
      request.deadline = cancellation->deadline();
    }
  }
  auto response = http_.Perform(request);
  if (!response) {
    if (cancellation != nullptr && cancellation->cancelled()) return Retryable("query cancelled");
    return Retryable("search store " + host + ": " + response.error().message);
  }
  return ElasticResponse{response->status, std::move(response->body)};
}

Result<ElasticResponse> ElasticClient::Send(std::string_view method, std::string_view path,
                                            std::string_view body, std::string_view content_type,
                                            const Cancellation* cancellation) {
  if (options_.hosts.empty()) return Permanent("no search store hosts configured (ES_HOSTS)");
  if (cancellation != nullptr && cancellation->cancelled()) return Retryable("query cancelled");
  size_t first = 0;
  {
    std::lock_guard lock(mutex_);
    first = preferred_host_;
  }
  Error last_error;
  for (size_t i = 0; i < options_.hosts.size(); ++i) {
    const size_t index = (first + i) % options_.hosts.size();
    auto response = SendTo(options_.hosts[index], method, path, body, content_type, cancellation);
    if (response) {
      if (index != first) {
        std::lock_guard lock(mutex_);
        preferred_host_ = index;
      }
      return response;
    }
    last_error = response.error();
    if (cancellation != nullptr && cancellation->cancelled()) break;
  }
  return tl::unexpected(last_error);
}

}  // namespace lp::search::elastic
