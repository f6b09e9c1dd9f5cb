#include "http/curl_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

namespace lp::http {
namespace {

// curl_global_init is not thread-safe and must run once before any handle exists.
Result<void> InitializeOnce() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    return Permanent(std::string("cannot initialize libcurl: ") + curl_easy_strerror(code));
  }
  return {};
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  [[nodiscard]] bool Add(const std::string& header) {
    curl_slist* grown = curl_slist_append(list, header.c_str());
    if (grown == nullptr) return false;
    list = grown;
    return true;
  }
};

struct UploadSource {
  std::string_view body;
  size_t sent = 0;
};

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* source = static_cast<UploadSource*>(user);
  const size_t n = std::min(size * count, source->body.size() - source->sent);
  std::memcpy(buffer, source->body.data() + source->sent, n);
  source->sent += n;
  return n;
}

struct HeaderSink {
  std::string_view prefix;
  std::map<std::string, std::string>* headers;
};

size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<HeaderSink*>(user);
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!name.starts_with(sink->prefix)) return size * count;
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  (*sink->headers)[std::move(name)] = std::string(value);
  return size * count;
}

// Collects the first failing curl_easy_setopt so that one check covers a whole request set-up.
class Options {
 public:
  explicit Options(CURL* curl) : curl_(curl) {}
  template <typename T>
  void Set(CURLoption option, T value) {
    if (failed_ != CURLE_OK) return;
    failed_ = curl_easy_setopt(curl_, option, value);
  }
  [[nodiscard]] CURLcode failed() const { return failed_; }

 private:
  CURL* curl_;
  CURLcode failed_ = CURLE_OK;
};

}  // namespace

CurlClient::CurlClient(CurlClientOptions options) : options_(std::move(options)) {}

CurlClient::~CurlClient() {
  for (void* handle : handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* CurlClient::TakeHandle() {
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

void CurlClient::ReturnHandle(void* handle) {
  std::lock_guard lock(mutex_);
  handles_.push_back(handle);
}

Result<CurlResponse> CurlClient::Perform(const CurlRequest& request) {
  if (auto initialized = InitializeOnce(); !initialized) {
    return tl::unexpected(initialized.error());
  }
  void* handle = TakeHandle();
  if (handle == nullptr) return Retryable("cannot create a libcurl handle");
  auto response = PerformWith(handle, request);
  ReturnHandle(handle);
  return response;
}

Result<CurlResponse> CurlClient::PerformWith(void* handle, const CurlRequest& request) {
  CURL* curl = static_cast<CURL*>(handle);
  // Keeps the handle's connection cache (reuse) but forgets the previous request's options.
  curl_easy_reset(curl);
  const std::string what = std::string(request.method) + " " + request.url;

  HeaderList headers;
  bool has_content_type = false;
  for (const auto& header : request.headers) {
    if (!headers.Add(header)) return Permanent(what + ": out of memory building the headers");
    has_content_type |=
        header.size() >= 13 && strncasecmp(header.c_str(), "content-type:", 13) == 0;
  }
  // Request fields would otherwise be labelled application/x-www-form-urlencoded.
  if (!request.upload && !request.body.empty() && !has_content_type &&
      !headers.Add("Content-Type:")) {
    return Permanent(what + ": out of memory building the headers");
  }
  CurlResponse response;
  HeaderSink header_sink{request.keep_headers_prefix, &response.headers};
  UploadSource source{request.body};
  const std::string method(request.method);
  const std::string credentials = request.username + ":" + request.password;

  // libcurl's own account of a failure: for TLS it names the certificate problem, which its
  // error code alone does not.
  char detail[CURL_ERROR_SIZE] = {};
  // The handle outlives this call (pooled): it must not keep pointing here.
  const std::unique_ptr<CURL, void (*)(CURL*)> forget_detail(
      curl, [](CURL* handle) { (void)curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr); });
  Options set(curl);
  set.Set(CURLOPT_ERRORBUFFER, detail);
  set.Set(CURLOPT_URL, request.url.c_str());
  set.Set(CURLOPT_NOSIGNAL, 1L);
  auto timeout = options_.timeout;
  if (request.deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        *request.deadline - std::chrono::steady_clock::now());
    timeout = std::max(std::chrono::milliseconds(1), std::min(timeout, left));
  }
  set.Set(CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  if (request.cancelled) {
    set.Set(CURLOPT_NOPROGRESS, 0L);
    set.Set(CURLOPT_XFERINFODATA, const_cast<std::function<bool()>*>(&request.cancelled));
    set.Set(
        CURLOPT_XFERINFOFUNCTION,
        +[](void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
          return (*static_cast<const std::function<bool()>*>(cancelled))() ? 1 : 0;
        });
  }
  set.Set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  set.Set(CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  set.Set(CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  set.Set(CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) set.Set(CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.certificate_file.empty()) {
    set.Set(CURLOPT_SSLCERT, options_.certificate_file.c_str());
    set.Set(CURLOPT_SSLKEY, options_.key_file.c_str());
  }
  set.Set(CURLOPT_HTTPHEADER, headers.list);
  set.Set(CURLOPT_WRITEFUNCTION, AppendBody);
  set.Set(CURLOPT_WRITEDATA, &response.body);
  if (!request.keep_headers_prefix.empty()) {
    set.Set(CURLOPT_HEADERFUNCTION, ReadHeader);
    set.Set(CURLOPT_HEADERDATA, &header_sink);
  }
  if (request.accept_compressed) set.Set(CURLOPT_ACCEPT_ENCODING, "");
  if (!request.aws_sigv4.empty()) {
    set.Set(CURLOPT_AWS_SIGV4, request.aws_sigv4.c_str());
    set.Set(CURLOPT_USERPWD, credentials.c_str());
  } else if (!request.username.empty()) {
    set.Set(CURLOPT_USERNAME, request.username.c_str());
    set.Set(CURLOPT_PASSWORD, request.password.c_str());
  }
  if (request.upload) {
    set.Set(CURLOPT_UPLOAD, 1L);
    set.Set(CURLOPT_READFUNCTION, ReadBody);
    set.Set(CURLOPT_READDATA, &source);
    set.Set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    if (method != "PUT") set.Set(CURLOPT_CUSTOMREQUEST, method.c_str());
  } else {
    if (method == "HEAD") {
      set.Set(CURLOPT_NOBODY, 1L);
    } else if (method != "GET" || !request.body.empty()) {
      // Request fields would otherwise turn the request into a POST.
      set.Set(CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    // An empty POST still says Content-Length: 0.
    if (!request.body.empty() || method == "POST" || method == "PUT") {
      set.Set(CURLOPT_POSTFIELDS, request.body.data());
      set.Set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
  }
  if (set.failed() != CURLE_OK) {
    return Permanent(what + ": libcurl refused an option: " + curl_easy_strerror(set.failed()));
  }

  if (const CURLcode code = curl_easy_perform(curl); code != CURLE_OK) {
    if (request.cancelled && request.cancelled()) return Retryable(what + ": cancelled");
    std::string message = what + ": " + curl_easy_strerror(code);
    if (detail[0] != '\0') message.append(" (").append(detail).append(")");
    return Retryable(std::move(message));
  }
  long new_connections = 0;
  if (const CURLcode code = curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
      code != CURLE_OK) {
    return Retryable(what + ": no status: " + curl_easy_strerror(code));
  }
  if (const CURLcode code = curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &new_connections);
      code != CURLE_OK) {
    return Retryable(what + ": " + curl_easy_strerror(code));
  }
  response.reused_connection = new_connections == 0;
  return response;
}

}  // namespace lp::http
