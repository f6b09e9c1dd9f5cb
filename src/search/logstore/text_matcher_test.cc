#include "search/logstore/text_matcher.h"

#include <gtest/gtest.h>

#include "search/logstore/tokens.h"

namespace lp::search::logstore {
namespace {

bool Match(std::string_view query, std::string_view message) {
  auto matcher = TextMatcher::Compile(query);
  EXPECT_TRUE(matcher.has_value()) << matcher.error().message;
  TextMatcher::Scratch scratch;
  return matcher->Matches(message, scratch);
}

TEST(TextMatcherTest, MatchesWordsAsPhrasesOfTheirTokensIgnoringCase) {
  EXPECT_TRUE(Match("declined", "Payment DECLINED for user"));
  EXPECT_TRUE(Match("req-42", "handled req 42 fast"));
  EXPECT_FALSE(Match("req-42", "handled 42 req"));
  EXPECT_TRUE(Match("\"card declined\"", "Card declined by issuer"));
  EXPECT_FALSE(Match("\"declined card\"", "Card declined by issuer"));
  EXPECT_TRUE(Match("pass*", "Password retry"));
  EXPECT_FALSE(Match("-", "a - b"));
}

TEST(TextMatcherTest, AppliesFts5Precedence) {
  EXPECT_TRUE(Match("a OR b c", "b c"));
  EXPECT_FALSE(Match("a OR b c", "b"));
  EXPECT_TRUE(Match("declined NOT card", "payment declined"));
  EXPECT_FALSE(Match("declined NOT card", "card declined"));
  EXPECT_TRUE(Match("(a OR b) AND c", "b c"));
  EXPECT_FALSE(TextMatcher::Compile("(a OR b").has_value());
  EXPECT_FALSE(TextMatcher::Compile("a)").has_value());
}

TEST(TextMatcherTest, BloomRulesOutOnlyBlocksWithoutARequiredToken) {
  BloomBuilder bloom(4);
  for (const auto* token : {"payment", "declined", "user"}) bloom.Add(HashToken(token));
  const auto may = [&](std::string_view query) {
    return TextMatcher::Compile(query)->MayMatch(bloom.bytes());
  };
  EXPECT_TRUE(may("declined"));
  EXPECT_TRUE(may("\"payment declined\""));
  EXPECT_FALSE(may("accepted"));
  EXPECT_TRUE(may("accepted OR user"));
  EXPECT_TRUE(may("declined NOT accepted"));
  EXPECT_TRUE(may("acc*"));  // A prefix cannot be checked.
}

}  // namespace
}  // namespace lp::search::logstore
