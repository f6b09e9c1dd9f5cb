#pragma once

#include <string_view>
#include <vector>

namespace lp::security {

/// A built-in PII detector: an RE2 pattern and, where a pattern alone finds too much, a check
/// of each match (a Luhn checksum, an IBAN's mod-97, a JWT's JSON header, a parseable address).
struct Detector {
  std::string_view name;
  std::string_view pattern;
  bool (*valid)(std::string_view match) = nullptr;
  bool on_by_default = true;  ///< IPv4/IPv6 addresses are redacted only when asked for.
};

/// email, credit_card, iban, jwt, bearer_token, api_key, aws_access_key, aws_secret_key,
/// private_key, ipv4, ipv6 (docs/SECURITY.md lists what each finds).
[[nodiscard]] const std::vector<Detector>& BuiltinDetectors();

/// 13-19 digits (spaces and dashes between them ignored) passing the Luhn checksum.
[[nodiscard]] bool LuhnValid(std::string_view digits);
/// An IBAN (spaces ignored) whose mod-97 check is 1.
[[nodiscard]] bool IbanValid(std::string_view iban);
/// Three base64url parts whose first decodes to a JSON object naming "alg".
[[nodiscard]] bool JwtValid(std::string_view token);
/// An address inet_pton reads; an IPv6 one must also hold a decimal digit, so that `d::` in
/// `std::string` is no address.
[[nodiscard]] bool Ipv4Valid(std::string_view address);
[[nodiscard]] bool Ipv6Valid(std::string_view address);

}  // namespace lp::security
