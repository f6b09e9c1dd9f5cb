#include "security/detectors.h"

#include <gtest/gtest.h>

namespace lp::security {
namespace {

TEST(DetectorsTest, LuhnTellsCardNumbersFromOtherDigits) {
  for (const char* card : {"4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004",
                           "378282246310005", "6011111111111117"}) {
    EXPECT_TRUE(LuhnValid(card)) << card;
  }
  for (const char* other : {"4111111111111112", "1234567890123", "123456789012",
                            "41111111111111111111", "4111x11111111111"}) {
    EXPECT_FALSE(LuhnValid(other)) << other;
  }
}

TEST(DetectorsTest, IbanNeedsItsCheckDigits) {
  for (const char* iban :
       {"DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606"}) {
    EXPECT_TRUE(IbanValid(iban)) << iban;
  }
  for (const char* other :
       {"DE89370400440532013001", "GB00WEST12345698765432", "DE89", "de89370400440532013000"}) {
    EXPECT_FALSE(IbanValid(other)) << other;
  }
}

TEST(DetectorsTest, AJwtHasAJsonHeaderNamingItsAlgorithm) {
  // {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890"} . signature
  EXPECT_TRUE(
      JwtValid("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
               "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"));
  EXPECT_FALSE(JwtValid("eyJub3RhbGciOjF9.eyJzdWIiOiIxIn0.c2ln"));  // {"notalg":1}
  EXPECT_FALSE(JwtValid("eyJzomething.eyJelse"));
  EXPECT_FALSE(JwtValid("eyJ!!!.eyJ.x"));
}

TEST(DetectorsTest, AddressesMustParse) {
  EXPECT_TRUE(Ipv4Valid("10.0.0.1"));
  EXPECT_FALSE(Ipv4Valid("999.1.1.1"));
  EXPECT_TRUE(Ipv6Valid("2001:db8::1"));
  EXPECT_TRUE(Ipv6Valid("::1"));
  EXPECT_FALSE(Ipv6Valid("d::"));
  EXPECT_FALSE(Ipv6Valid("12:30:45"));
}

}  // namespace
}  // namespace lp::security
