#include "http/server_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <ctime>

namespace lp::http {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.3's suites (all qualify) with AES-128-GCM first: OpenSSL's default puts AES-256-GCM first,
// whose 14 rounds cost both ends about 13 % more per byte than AES-128's 10 (openssl speed, 16 KiB
// records, this project's machine). The server's order decides (SSL_OP_CIPHER_SERVER_PREFERENCE).
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// TLS 1.2 suites with forward secrecy and authenticated encryption only (Mozilla's
// "intermediate" list).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

constexpr std::string_view kSessionIdContext = "logpipe";

// Everything OpenSSL queued about the failure that just happened (its queue is per thread).
std::string OpenSslReason() {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    reason.append(reason.empty() ? "" : "; ").append(text);
  }
  return reason.empty() ? std::string("unknown OpenSSL error") : reason;
}

tl::unexpected<Error> FileError(std::string_view what, const std::filesystem::path& path) {
  return Permanent(std::string(what) + " " + path.string() + ": " + OpenSslReason());
}

struct LoadedContext {
  std::shared_ptr<ssl::context> context;
  std::chrono::system_clock::time_point not_after;
};

Result<LoadedContext> MakeContext(const ServerTlsFiles& files) {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1) {
    return Permanent("cannot restrict TLS to 1.2 and up with modern ciphers: " + OpenSslReason());
  }
  // An encrypted key would otherwise make OpenSSL ask for its passphrase on the terminal.
  SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return 0; });
  if (SSL_CTX_use_certificate_chain_file(native, files.certificate_file.c_str()) != 1) {
    return FileError("certificate file", files.certificate_file);
  }
  // Also checks that the key is the certificate's.
  if (SSL_CTX_use_PrivateKey_file(native, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Permanent("key file " + files.key_file.string() +
                     " (an unencrypted PEM key, the one of certificate file " +
                     files.certificate_file.string() + "): " + OpenSslReason());
  }
  if (!files.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(native, files.client_ca_file.c_str(), nullptr) != 1) {
      return FileError("client CA file", files.client_ca_file);
    }
    // Tells clients which CAs are accepted, so that one holding several certificates picks
    // the right one.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca_file.c_str());
    if (names == nullptr) return FileError("client CA file", files.client_ca_file);
    SSL_CTX_set_client_CA_list(native, names);
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // Resumed sessions are refused without one when client certificates are verified.
    SSL_CTX_set_session_id_context(native,
                                   reinterpret_cast<const unsigned char*>(kSessionIdContext.data()),
                                   static_cast<unsigned>(kSessionIdContext.size()));
  }
  std::tm expiry{};
  const X509* certificate = SSL_CTX_get0_certificate(native);
  if (certificate == nullptr || ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &expiry) != 1) {
    return Permanent("certificate file " + files.certificate_file.string() +
                     ": cannot read its expiry date");
  }
  return LoadedContext{std::move(context), std::chrono::system_clock::from_time_t(timegm(&expiry))};
}

}  // namespace

TlsMetrics::TlsMetrics(metrics::Registry& registry)
    : reloads(registry.AddCounter("tls_certificate_reloads_total",
                                  "TLS certificate and key reloads (SIGHUP), by result: ok, "
                                  "failed (the previous certificate stays in use).",
                                  {"result"})),
      certificate_expiry(registry
                             .AddGauge("tls_certificate_expiry_timestamp_seconds",
                                       "When the listeners' TLS certificate expires (Unix time).")
                             .WithLabels({})) {}

Result<std::shared_ptr<ServerTls>> ServerTls::Load(ServerTlsFiles files, TlsMetrics& metrics) {
  std::shared_ptr<ServerTls> tls(new ServerTls(std::move(files), metrics));
  if (auto installed = tls->Install(); !installed) return tl::unexpected(installed.error());
  return tls;
}

Result<void> ServerTls::Reload() {
  auto installed = Install();
  metrics_.reloads.WithLabels({installed ? "ok" : "failed"}).Increment();
  return installed;
}

Result<void> ServerTls::Install() {
  auto loaded = MakeContext(files_);
  if (!loaded) return tl::unexpected(loaded.error());
  {
    std::lock_guard lock(mutex_);
    context_ = std::move(loaded->context);
    not_after_ = loaded->not_after;
  }
  metrics_.certificate_expiry.Set(
      static_cast<double>(std::chrono::system_clock::to_time_t(loaded->not_after)));
  return {};
}

std::shared_ptr<ssl::context> ServerTls::Current() const {
  std::lock_guard lock(mutex_);
  return context_;
}

std::chrono::system_clock::time_point ServerTls::NotAfter() const {
  std::lock_guard lock(mutex_);
  return not_after_;
}

}  // namespace lp::http
