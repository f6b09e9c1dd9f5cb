#include "search/elastic/elastic_client.h"

#include <curl/curl.h>
#include <libdeflate.h>

#include <algorithm>
#include <memory>

namespace lp::search::elastic {
namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct HeaderList {
  ~HeaderList() { curl_slist_free_all(list); }
  void Add(const std::string& header) { list = curl_slist_append(list, header.c_str()); }
  curl_slist* list = nullptr;
};

std::string Gzip(std::string_view body) {
  std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)> compressor(
      libdeflate_alloc_compressor(1), libdeflate_free_compressor);
  std::string out(libdeflate_gzip_compress_bound(compressor.get(), body.size()), '\0');
  out.resize(
      libdeflate_gzip_compress(compressor.get(), body.data(), body.size(), out.data(), out.size()));
  return out;
}

}  // namespace

ElasticClient::ElasticClient(ElasticClientOptions options) : options_(std::move(options)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

ElasticClient::~ElasticClient() {
  for (void* handle : handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* ElasticClient::TakeHandle() {
  {
    std::lock_guard lock(mutex_);
    if (!handles_.empty()) {
      void* handle = handles_.back();
      handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void ElasticClient::ReturnHandle(void* curl) {
  std::lock_guard lock(mutex_);
  handles_.push_back(curl);
}

Result<ElasticResponse> ElasticClient::SendTo(void* handle, const std::string& host,
                                              std::string_view method, std::string_view path,
                                              std::string_view body, std::string_view content_type,
                                              const Cancellation* cancellation) {
  auto* curl = static_cast<CURL*>(handle);
  curl_easy_reset(curl);
  const std::string url = host + std::string(path);
  HeaderList headers;
  std::string compressed;
  std::string_view sent = body;
  if (!body.empty()) {
    headers.Add("Content-Type: " + std::string(content_type));
    if (body.size() >= options_.gzip_from_bytes) {
      compressed = Gzip(body);
      sent = compressed;
      headers.Add("Content-Encoding: gzip");
    }
  }
  if (!options_.api_key.empty()) headers.Add("Authorization: ApiKey " + options_.api_key);
  ElasticResponse response;
  const std::string method_text(method);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (!sent.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, sent.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(sent.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  if (options_.api_key.empty() && !options_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  auto timeout = options_.timeout;
  if (cancellation != nullptr) {
    // Closing the connection also cancels the search inside the cluster.
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<Cancellation*>(cancellation));
    curl_easy_setopt(
        curl, CURLOPT_XFERINFOFUNCTION,
        +[](void* token, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
          return static_cast<const Cancellation*>(token)->cancelled() ? 1 : 0;
        });
    if (cancellation->deadline() != std::chrono::steady_clock::time_point::max()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          cancellation->deadline() - std::chrono::steady_clock::now());
      timeout = std::max(std::chrono::milliseconds(1), std::min(timeout, left));
    }
  }
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5'000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  if (const CURLcode code = curl_easy_perform(curl); code != CURLE_OK) {
    if (cancellation != nullptr && cancellation->cancelled()) return Retryable("query cancelled");
    return Retryable("search store " + host + ": " + curl_easy_strerror(code));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
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
  void* handle = TakeHandle();
  Error last_error;
  for (size_t i = 0; i < options_.hosts.size(); ++i) {
    const size_t index = (first + i) % options_.hosts.size();
    auto response =
        SendTo(handle, options_.hosts[index], method, path, body, content_type, cancellation);
    if (response) {
      ReturnHandle(handle);
      if (index != first) {
        std::lock_guard lock(mutex_);
        preferred_host_ = index;
      }
      return response;
    }
    last_error = response.error();
    if (cancellation != nullptr && cancellation->cancelled()) break;
  }
  ReturnHandle(handle);
  return tl::unexpected(last_error);
}

}  // namespace lp::search::elastic
