#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace lp::test_support {

/// A throwaway certificate authority for tests: an EC P-256 key and a self-signed CA
/// certificate, made in memory when constructed. It issues certificates (by default for
/// localhost and 127.0.0.1), written as PEM files; no key is ever committed.
class TestAuthority {
 public:
  explicit TestAuthority(const std::string& name);
  ~TestAuthority();
  TestAuthority(const TestAuthority&) = delete;
  TestAuthority& operator=(const TestAuthority&) = delete;

  /// Writes the CA certificate (what clients, or a server checking clients, trust).
  void WriteCertificate(const std::filesystem::path& file) const;

  /// Issues a certificate named `common_name` for the hosts `alt_names` (OpenSSL's
  /// subjectAltName syntax), valid from `not_before` to `not_after` relative to now, and writes
  /// it and its key.
  void Issue(const std::string& common_name, const std::filesystem::path& certificate_file,
             const std::filesystem::path& key_file,
             const std::string& alt_names = "DNS:localhost,IP:127.0.0.1",
             std::chrono::seconds not_before = -std::chrono::hours(1),
             std::chrono::seconds not_after = std::chrono::hours(24)) const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
};

}  // namespace lp::test_support
