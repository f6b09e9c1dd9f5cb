#include "search/logstore/text_term.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "search/logstore/tokens.h"

namespace lp::search::logstore {
namespace {

// Through the byte scan, as queries match, checked against the token comparison.
bool Match(std::string_view value, bool prefix, std::string_view message) {
  const TextTerm term(value, prefix);
  const bool by_tokens = term.Matches(Tokenize(message));
  const auto verdict = term.Scan(message);
  if (verdict != TextTerm::Verdict::kAskTokens) {
    EXPECT_EQ(verdict == TextTerm::Verdict::kYes, by_tokens) << value << " in " << message;
  }
  return by_tokens;
}

TEST(TextTermTest, MatchesWordsAsPhrasesOfTheirTokensIgnoringCase) {
  EXPECT_TRUE(Match("declined", false, "Payment DECLINED for user"));
  EXPECT_TRUE(Match("req-42", false, "handled req 42 fast"));
  EXPECT_FALSE(Match("req-42", false, "handled 42 req"));
  EXPECT_TRUE(Match("card declined", false, "Card declined by issuer"));
  EXPECT_FALSE(Match("declined card", false, "Card declined by issuer"));
  EXPECT_TRUE(Match("pass", true, "Password retry"));
  EXPECT_FALSE(Match("pass", false, "Password retry"));
  EXPECT_FALSE(Match("-", false, "a - b"));
  EXPECT_FALSE(Match("clin", false, "Payment DECLINED"));
  EXPECT_FALSE(Match("declin", true, "undeclined"));
  EXPECT_TRUE(Match("declin", true, "un-Declined"));
  EXPECT_TRUE(Match("café", false, "au Café"));  // Bytes >= 0x80 are kept as they are.
  EXPECT_FALSE(Match("caf", false, "au café"));
  EXPECT_TRUE(Match("error", false, "error"));
  EXPECT_TRUE(Match("e", false, "x e"));
  EXPECT_FALSE(Match("ab", false, "a"));
}

// The byte scan against the token comparison on many generated messages: words at the start,
// the end, repeated, in either case, inside longer tokens and split by separators.
TEST(TextTermTest, TheScanAgreesWithTheTokensOnGeneratedMessages) {
  const std::string alphabet = "aAbBeE0 -.\xc3\xa9";
  const std::vector<std::string> words = {"ab", "a", "be", "e0", "aba", "\xc3\xa9", "b0e"};
  std::mt19937 random(7);
  for (int round = 0; round < 20000; ++round) {
    std::string message(random() % 12, ' ');
    for (auto& c : message) c = alphabet[random() % alphabet.size()];
    for (const auto& word : words) {
      for (const bool prefix : {false, true}) Match(word, prefix, message);
    }
  }
}

TEST(TextTermTest, RulesOutBlocksWhoseBloomLacksAWholeToken) {
  BloomBuilder bloom(4);
  for (const auto& token : Tokenize("card declined by issuer")) bloom.Add(HashToken(token));
  EXPECT_TRUE(TextTerm("declined", false).MayMatch(bloom.bytes()));
  EXPECT_TRUE(TextTerm("card decl", true).MayMatch(bloom.bytes()));
  EXPECT_FALSE(TextTerm("accepted", false).MayMatch(bloom.bytes()));
  EXPECT_FALSE(TextTerm("-", false).MayMatch(bloom.bytes()));
}

}  // namespace
}  // namespace lp::search::logstore
