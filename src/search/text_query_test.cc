#include "search/text_query.h"

#include <gtest/gtest.h>

namespace lp::search {
namespace {

std::string Fts5(std::string_view q) {
  const auto tokens = ParseTextQuery(q);
  EXPECT_TRUE(tokens.has_value()) << q;
  return tokens ? ToFts5(*tokens) : "";
}

TEST(TextQueryTest, QuotesWordsSoPunctuationIsNotSyntax) {
  EXPECT_EQ(Fts5("evt-1"), R"("evt-1")");
  EXPECT_EQ(Fts5("10.0.0.1 user@example.com"), R"("10.0.0.1" "user@example.com")");
  EXPECT_EQ(Fts5("col:value"), R"("col:value")");
}

TEST(TextQueryTest, KeepsOperatorsPhrasesParenthesesAndPrefixes) {
  EXPECT_EQ(Fts5(R"(payment AND ("card declined" OR refund*) NOT test)"),
            R"("payment" AND ( "card declined" OR "refund"* ) NOT "test")");
  EXPECT_EQ(Fts5("and or not"), R"("and" "or" "not")");  // Operators are upper case only.
  EXPECT_EQ(Fts5(R"(say"hi")"), R"("say" "hi")");
  EXPECT_EQ(Fts5("  "), "");
}

TEST(TextQueryTest, RefusesWhatCannotBeMeant) {
  for (const char* q : {R"("unbalanced)", "*", "pa*y", "**"}) {
    const auto tokens = ParseTextQuery(q);
    ASSERT_FALSE(tokens.has_value()) << q;
    EXPECT_TRUE(tokens.error().message.starts_with("invalid query: ")) << tokens.error().message;
  }
}

}  // namespace
}  // namespace lp::search
