#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/metrics.h"
#include "core/result.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace lp::http {

/// The files a TLS listener is configured from (PEM).
struct ServerTlsFiles {
  std::filesystem::path certificate_file;  ///< The server's certificate, then its chain.
  std::filesystem::path key_file;          ///< Its private key, unencrypted.
  /// When set (mutual TLS), every client must present a certificate this CA bundle verifies;
  /// without one the handshake fails.
  std::filesystem::path client_ca_file{};
};

/// TLS registers its series once per process: certificate reloads and when the certificate in
/// use expires.
struct TlsMetrics {
  explicit TlsMetrics(metrics::Registry& registry);

  metrics::Family<metrics::Counter>& reloads;  ///< By result: ok, failed.
  metrics::Gauge& certificate_expiry;          ///< Unix seconds of the certificate's notAfter.
};

/// What every TLS listener of a process presents: TLS 1.2 and 1.3 only, TLS 1.2 restricted to
/// forward-secret AEAD ciphers (ECDHE with AES-GCM or ChaCha20-Poly1305), no compression or
/// renegotiation. Reload() reads the files again and, only when all of them load and the key
/// matches the certificate, replaces the context; a connection keeps the context it was accepted
/// with, so a reload never disturbs one in progress. Shared by the servers; thread-safe.
class ServerTls {
 public:
  /// Loads the files; an error names the file and what OpenSSL found wrong with it.
  [[nodiscard]] static Result<std::shared_ptr<ServerTls>> Load(ServerTlsFiles files,
                                                               TlsMetrics& metrics);

  /// Reads the files again (SIGHUP); on an error the previous context stays in use.
  [[nodiscard]] Result<void> Reload();

  /// The context new connections are accepted with.
  [[nodiscard]] std::shared_ptr<boost::asio::ssl::context> Current() const;

  /// When the certificate in use expires.
  [[nodiscard]] std::chrono::system_clock::time_point NotAfter() const;

  [[nodiscard]] bool mutual() const { return !files_.client_ca_file.empty(); }

 private:
  ServerTls(ServerTlsFiles files, TlsMetrics& metrics)
      : files_(std::move(files)), metrics_(metrics) {}
  /// Loads the files and, when they are good, makes them the current context.
  [[nodiscard]] Result<void> Install();

  const ServerTlsFiles files_;
  TlsMetrics& metrics_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::chrono::system_clock::time_point not_after_{};
};

}  // namespace lp::http
