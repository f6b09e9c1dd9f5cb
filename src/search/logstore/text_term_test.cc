#include "search/logstore/text_term.h"

#include <gtest/gtest.h>

#include "search/logstore/tokens.h"

namespace lp::search::logstore {
namespace {

bool Match(std::string_view value, bool prefix, std::string_view message) {
  return TextTerm(value, prefix).Matches(Tokenize(message));
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
