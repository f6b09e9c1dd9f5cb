#include "security/detectors.h"

#include <arpa/inet.h>

#include <cctype>
#include <string>

namespace lp::security {
namespace {

std::string WithoutSeparators(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c != ' ' && c != '-') out += c;
  }
  return out;
}

std::string DecodeBase64Url(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    if (c >= '0' && c <= '9') value = c - '0' + 52;
    if (c == '-') value = 62;
    if (c == '_') value = 63;
    if (value < 0) return {};
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace

bool LuhnValid(std::string_view text) {
  const std::string digits = WithoutSeparators(text);
  if (digits.size() < 13 || digits.size() > 19) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!std::isdigit(static_cast<unsigned char>(*it))) return false;
    int digit = *it - '0';
    if (twice && (digit *= 2) > 9) digit -= 9;
    sum += digit;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool IbanValid(std::string_view text) {
  const std::string iban = WithoutSeparators(text);
  if (iban.size() < 15 || iban.size() > 34) return false;
  // Move the country code and check digits to the end, letters become 10..35, mod 97 == 1.
  const std::string rearranged = iban.substr(4) + iban.substr(0, 4);
  int remainder = 0;
  for (const char c : rearranged) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (std::isupper(static_cast<unsigned char>(c))) {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

bool JwtValid(std::string_view token) {
  const auto dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) == std::string_view::npos) {
    return false;
  }
  const std::string header = DecodeBase64Url(token.substr(0, dot));
  return header.starts_with("{") && header.find("\"alg\"") != std::string::npos;
}

bool Ipv4Valid(std::string_view address) {
  in_addr parsed{};
  return inet_pton(AF_INET, std::string(address).c_str(), &parsed) == 1;
}

bool Ipv6Valid(std::string_view address) {
  if (address.find_first_of("0123456789") == std::string_view::npos) return false;
  in6_addr parsed{};
  return inet_pton(AF_INET6, std::string(address).c_str(), &parsed) == 1;
}

const std::vector<Detector>& BuiltinDetectors() {
  static const std::vector<Detector> detectors{
      {"email", R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"},
      {"credit_card", R"(\b\d(?:[ -]?\d){12,18}\b)", &LuhnValid},
      {"iban", R"(\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b)", &IbanValid},
      {"jwt", R"(\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)", &JwtValid},
      {"bearer_token", R"((?i)\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*)"},
      {"api_key",
       R"(\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|xox[abposr]-[A-Za-z0-9-]{10,}|)"
       R"([sr]k_live_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}))"},
      {"aws_access_key", R"(\b(?:AKIA|ASIA|AROA|AIDA)[0-9A-Z]{16}\b)"},
      {"aws_secret_key", R"((?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40})"},
      {"private_key",
       R"((?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----)"},
      {"ipv4", R"(\b(?:\d{1,3}\.){3}\d{1,3}\b)", &Ipv4Valid, false},
      {"ipv6", R"((?i)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%[0-9a-z]+)?)", &Ipv6Valid, false},
  };
  return detectors;
}

}  // namespace lp::security
