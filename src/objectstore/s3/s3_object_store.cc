#include "objectstore/s3/s3_object_store.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/backoff.h"

namespace lp::objectstore::s3 {
namespace {

constexpr std::string_view kMetadataPrefix = "x-amz-meta-";

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

// Percent-encodes all but RFC 3986's unreserved characters (and '/' when `keep_slash`), as SigV4
// canonicalization expects.
std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

// `/<bucket>` or `/<bucket>/<key>`, encoded for the URL and the signature.
std::string ObjectPath(std::string_view bucket, std::string_view key) {
  std::string path = "/";
  path += UriEncode(bucket, false);
  if (!key.empty()) {
    path.push_back('/');
    path += UriEncode(key, true);
  }
  return path;
}

// The text of the first <tag> element, XML entities decoded; "" when absent.
std::string XmlElement(std::string_view xml, std::string_view tag, size_t* from = nullptr) {
  const std::string open = std::string("<").append(tag) + ">";
  const std::string close = std::string("</").append(tag) + ">";
  const size_t start = xml.find(open, from != nullptr ? *from : 0);
  if (start == std::string_view::npos) {
    if (from != nullptr) *from = std::string_view::npos;
    return "";
  }
  const size_t end = xml.find(close, start + open.size());
  if (end == std::string_view::npos) {
    if (from != nullptr) *from = std::string_view::npos;
    return "";
  }
  if (from != nullptr) *from = end + close.size();
  std::string text;
  const auto raw = xml.substr(start + open.size(), end - start - open.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      text.push_back(raw[i]);
      continue;
    }
    static constexpr std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool decoded = false;
    for (const auto& [entity, character] : kEntities) {
      if (raw.substr(i, entity.size()) == entity) {
        text.push_back(character);
        i += entity.size() - 1;
        decoded = true;
        break;
      }
    }
    if (!decoded) text.push_back('&');
  }
  return text;
}

// What an error answer means for the operator, from S3's <Code> and <Message>.
Error ErrorFromResponse(const S3ObjectStore::Response& response, std::string_view what) {
  const std::string code = XmlElement(response.body, "Code");
  const std::string message = XmlElement(response.body, "Message");
  std::string text = std::string(what) + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) text.append(" ").append(code);
  if (!message.empty()) text.append(": ").append(message);
  if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" || response.status == 403) {
    text += " (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";
  } else if (code == "AuthorizationHeaderMalformed" ||
             message.find("region") != std::string::npos ||
             (response.status == 400 && code.empty())) {
    // A HEAD answer has no body to say why; a signature for another region is the usual cause.
    text += " (check S3_REGION)";
  }
  const bool transient = response.status >= 500 || response.status == 429;
  return Error{transient ? ErrorClass::kRetryable : ErrorClass::kPermanent, std::move(text)};
}

}  // namespace

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Create(S3Options options) {
  if (!options.endpoint.starts_with("http://") && !options.endpoint.starts_with("https://")) {
    return Permanent("S3_ENDPOINT must start with http:// or https://, not \"" + options.endpoint +
                     "\"");
  }
  while (options.endpoint.ends_with('/')) options.endpoint.pop_back();
  if (options.access_key_id.empty() || options.secret_access_key.empty()) {
    return Permanent("S3 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  if (options.region.empty()) return Permanent("S3_REGION must not be empty");
  return std::unique_ptr<S3ObjectStore>(new S3ObjectStore(std::move(options)));
}

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::FromEnvironment() {
  const auto env = [](const char* name, const char* fallback = "") {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : fallback);
  };
  return Create(S3Options{.endpoint = env("S3_ENDPOINT"),
                          .region = env("S3_REGION", "us-east-1"),
                          .access_key_id = env("AWS_ACCESS_KEY_ID"),
                          .secret_access_key = env("AWS_SECRET_ACCESS_KEY"),
                          .ca_file = env("S3_CA_FILE")});
}

Result<S3ObjectStore::Response> S3ObjectStore::SendOnce(std::string_view method,
                                                        const std::string& url,
                                                        std::string_view body,
                                                        const Metadata& metadata) {
  http::CurlRequest request{
      .method = method,
      .url = url,
      .headers = {std::string("x-amz-content-sha256: ").append(Sha256Hex(body))},
      .body = body,
      .upload = method == "PUT",
      .username = options_.access_key_id,
      .password = options_.secret_access_key,
      .aws_sigv4 = std::string("aws:amz:").append(options_.region).append(":s3"),
      .keep_headers_prefix = std::string(kMetadataPrefix),
  };
  for (const auto& [name, value] : metadata) {
    request.headers.push_back(std::string(kMetadataPrefix) + name + ": " + value);
  }
  // Without this curl sends "Expect: 100-continue" and waits for an answer before the body.
  request.headers.emplace_back("Expect:");
  auto answer = http_.Perform(request);
  if (!answer) return Retryable("S3 " + answer.error().message);
  Response response{.status = answer->status, .body = std::move(answer->body), .metadata = {}};
  for (auto& [name, value] : answer->headers) {
    response.metadata[name.substr(kMetadataPrefix.size())] = std::move(value);
  }
  return response;
}

Result<S3ObjectStore::Response> S3ObjectStore::Send(std::string_view method,
                                                    const std::string& path,
                                                    const std::string& query, std::string_view body,
                                                    const Metadata& metadata) {
  std::string url = options_.endpoint + path;
  if (!query.empty()) url.append("?").append(query);
  RetryChain chain("S3 request", options_.retry);
  while (true) {
    auto result = SendOnce(method, url, body, metadata);
    const bool transient =
        !result || result->status >= 500 || result->status == 429 || result->status == 0;
    if (!transient || !chain.BackOff()) return result;
  }
}

Result<void> S3ObjectStore::EnsureBucket(std::string_view bucket) {
  const std::string path = ObjectPath(bucket, {});
  auto head = Send("HEAD", path, "", {}, {});
  if (!head) return tl::unexpected(head.error());
  if (head->status == 200) return {};
  if (head->status != 404) {
    return tl::unexpected(ErrorFromResponse(*head, std::string("S3 bucket ").append(bucket)));
  }
  std::string configuration;
  if (options_.region != "us-east-1") {
    configuration =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        options_.region + "</LocationConstraint></CreateBucketConfiguration>";
  }
  auto created = Send("PUT", path, "", configuration, {});
  if (!created) return tl::unexpected(created.error());
  if (created->status == 200 || XmlElement(created->body, "Code") == "BucketAlreadyOwnedByYou") {
    return {};
  }
  return tl::unexpected(
      ErrorFromResponse(*created, std::string("create S3 bucket ").append(bucket)));
}

Result<void> S3ObjectStore::Put(std::string_view bucket, std::string_view key,
                                std::string_view body, const Metadata& metadata) {
  if (auto checked = CheckKey(key); !checked) return checked;
  const std::string path = ObjectPath(bucket, key);
  auto response = Send("PUT", path, "", body, metadata);
  if (!response) return tl::unexpected(response.error());
  if (response->status == 200) return {};
  return tl::unexpected(ErrorFromResponse(*response, std::string("S3 put ").append(key)));
}

Result<StoredObject> S3ObjectStore::Get(std::string_view bucket, std::string_view key) {
  if (auto checked = CheckKey(key); !checked) return tl::unexpected(checked.error());
  const std::string path = ObjectPath(bucket, key);
  auto response = Send("GET", path, "", {}, {});
  if (!response) return tl::unexpected(response.error());
  if (response->status == 404) {
    return NotFound(std::string("no object ").append(key) +
                    std::string(" in S3 bucket ").append(bucket));
  }
  if (response->status != 200) {
    return tl::unexpected(ErrorFromResponse(*response, std::string("S3 get ").append(key)));
  }
  return StoredObject{std::move(response->body), std::move(response->metadata)};
}

Result<std::vector<std::string>> S3ObjectStore::ListPages(
    std::string_view bucket, std::string_view prefix, bool folders,
    const std::function<void(std::string_view page, std::vector<std::string>& out)>& collect) {
  std::vector<std::string> found;
  std::string continuation;
  while (true) {
    // SigV4 wants the query's parameters sorted by name.
    std::string query;
    if (!continuation.empty())
      query.append("continuation-token=").append(UriEncode(continuation, false)).append("&");
    if (folders) query.append("delimiter=%2F&");
    query.append("list-type=2&prefix=").append(UriEncode(prefix, false));
    auto response = Send("GET", ObjectPath(bucket, {}), query, {}, {});
    if (!response) return tl::unexpected(response.error());
    if (response->status == 404) return NotFound(std::string("no S3 bucket ").append(bucket));
    if (response->status != 200) {
      return tl::unexpected(ErrorFromResponse(*response, std::string("S3 list ").append(prefix)));
    }
    collect(response->body, found);
    if (XmlElement(response->body, "IsTruncated") != "true") break;
    continuation = XmlElement(response->body, "NextContinuationToken");
    if (continuation.empty()) break;
  }
  std::sort(found.begin(), found.end());
  return found;
}

Result<std::vector<std::string>> S3ObjectStore::ListFolders(std::string_view bucket,
                                                            std::string_view prefix) {
  return ListPages(bucket, prefix, /*folders=*/true,
                   [](std::string_view page, std::vector<std::string>& out) {
                     size_t at = 0;
                     while (true) {
                       // Each folder is a <CommonPrefixes><Prefix>...</Prefix></CommonPrefixes>;
                       // the response's own <Prefix> echoes the request and is not one.
                       const std::string group = XmlElement(page, "CommonPrefixes", &at);
                       if (at == std::string_view::npos) break;
                       out.push_back(XmlElement(group, "Prefix"));
                     }
                   });
}

Result<std::vector<std::string>> S3ObjectStore::List(std::string_view bucket,
                                                     std::string_view prefix) {
  return ListPages(bucket, prefix, /*folders=*/false,
                   [](std::string_view page, std::vector<std::string>& out) {
                     size_t at = 0;
                     while (true) {
                       std::string key = XmlElement(page, "Key", &at);
                       if (at == std::string_view::npos) break;
                       out.push_back(std::move(key));
                     }
                   });
}

}  // namespace lp::objectstore::s3
