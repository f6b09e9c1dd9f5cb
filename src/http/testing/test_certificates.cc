#include "http/testing/test_certificates.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <stdexcept>

namespace lp::test_support {
namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertificateDeleter {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct FileDeleter {
  void operator()(BIO* file) const { BIO_free_all(file); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using CertificatePtr = std::unique_ptr<X509, CertificateDeleter>;
using FilePtr = std::unique_ptr<BIO, FileDeleter>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what + " failed");
}

KeyPtr NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

void AddExtension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  Check(extension != nullptr, "X509V3_EXT_conf_nid");
  const int added = X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  Check(added == 1, "X509_add_ext");
}

// A certificate for `key` named `common_name`; self-signed when `issuer` is null.
CertificatePtr MakeCertificate(EVP_PKEY* key, const std::string& common_name,
                               const std::string& alt_names, X509* issuer, EVP_PKEY* issuer_key,
                               std::chrono::seconds not_before, std::chrono::seconds not_after) {
  static std::atomic<long> serial{1};
  CertificatePtr certificate(X509_new());
  X509* raw = certificate.get();
  Check(X509_set_version(raw, 2) == 1, "X509_set_version");
  Check(ASN1_INTEGER_set(X509_get_serialNumber(raw), serial.fetch_add(1)) == 1, "serial");
  Check(X509_gmtime_adj(X509_getm_notBefore(raw), not_before.count()) != nullptr, "notBefore");
  Check(X509_gmtime_adj(X509_getm_notAfter(raw), not_after.count()) != nullptr, "notAfter");
  Check(X509_set_pubkey(raw, key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(raw);
  Check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) == 1,
        "subject");
  X509* signer = issuer == nullptr ? raw : issuer;
  Check(X509_set_issuer_name(raw, X509_get_subject_name(signer)) == 1, "issuer");
  AddExtension(raw, signer, NID_subject_key_identifier, "hash");
  AddExtension(raw, signer, NID_authority_key_identifier, "keyid:always");
  if (issuer == nullptr) {
    AddExtension(raw, signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(raw, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(raw, signer, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(raw, signer, NID_key_usage, "critical,digitalSignature");
    AddExtension(raw, signer, NID_ext_key_usage, "serverAuth,clientAuth");
    AddExtension(raw, signer, NID_subject_alt_name, alt_names.c_str());
  }
  Check(X509_sign(raw, issuer_key == nullptr ? key : issuer_key, EVP_sha256()) > 0, "X509_sign");
  return certificate;
}

FilePtr OpenForWriting(const std::filesystem::path& path) {
  FilePtr file(BIO_new_file(path.c_str(), "w"));
  Check(file != nullptr, "BIO_new_file");
  return file;
}

}  // namespace

struct TestAuthority::Keys {
  KeyPtr key;
  CertificatePtr certificate;
};

TestAuthority::TestAuthority(const std::string& name) : keys_(std::make_unique<Keys>()) {
  keys_->key = NewKey();
  keys_->certificate = MakeCertificate(keys_->key.get(), name, "", nullptr, nullptr,
                                       -std::chrono::hours(1), std::chrono::hours(24 * 30));
}

TestAuthority::~TestAuthority() = default;

void TestAuthority::WriteCertificate(const std::filesystem::path& file) const {
  Check(PEM_write_bio_X509(OpenForWriting(file).get(), keys_->certificate.get()) == 1,
        "PEM_write_bio_X509");
}

void TestAuthority::Issue(const std::string& common_name,
                          const std::filesystem::path& certificate_file,
                          const std::filesystem::path& key_file, const std::string& alt_names,
                          std::chrono::seconds not_before, std::chrono::seconds not_after) const {
  const KeyPtr key = NewKey();
  const CertificatePtr certificate =
      MakeCertificate(key.get(), common_name, alt_names, keys_->certificate.get(), keys_->key.get(),
                      not_before, not_after);
  Check(PEM_write_bio_X509(OpenForWriting(certificate_file).get(), certificate.get()) == 1,
        "PEM_write_bio_X509");
  Check(PEM_write_bio_PrivateKey(OpenForWriting(key_file).get(), key.get(), nullptr, nullptr, 0,
                                 nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
}

}  // namespace lp::test_support
