#include "collector/shipper_auth.h"

#include <openssl/evp.h>

#include <optional>
#include <vector>

namespace lp::collector {
namespace {

bool EqualsIgnoringCase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> out(text.size() / 4 * 3);
  const int length =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the bytes that the padding stands for.
  size_t size = static_cast<size_t>(length);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

// The part after the last ':' of a decoded `user:password` or `id:key` pair.
std::optional<std::string> SecretOfPair(std::string_view encoded) {
  auto decoded = DecodeBase64(encoded);
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return decoded->substr(colon + 1);
}

}  // namespace

bool ShipperAuth::Matches(std::string_view candidate) const {
  // Constant time in the token's length: a wrong length answers at once, which reveals only
  // the length.
  if (candidate.size() != token_.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < token_.size(); ++i) {
    difference |= static_cast<unsigned char>(candidate[i] ^ token_[i]);
  }
  return difference == 0;
}

bool ShipperAuth::Allows(std::string_view authorization) const {
  if (token_.empty()) return true;
  const size_t space = authorization.find(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view scheme = authorization.substr(0, space);
  std::string_view credentials = authorization.substr(space + 1);
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  if (EqualsIgnoringCase(scheme, "bearer") || EqualsIgnoringCase(scheme, "splunk")) {
    return Matches(credentials);
  }
  if (EqualsIgnoringCase(scheme, "apikey")) {
    if (Matches(credentials)) return true;
    const auto key = SecretOfPair(credentials);
    return key && Matches(*key);
  }
  if (EqualsIgnoringCase(scheme, "basic")) {
    const auto password = SecretOfPair(credentials);
    return password && Matches(*password);
  }
  return false;
}

}  // namespace lp::collector
