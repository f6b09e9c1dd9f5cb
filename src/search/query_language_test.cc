#include "search/query_language.h"

#include <gtest/gtest.h>

namespace lp::search {
namespace {

using Kind = QueryNode::Kind;
using Match = QueryNode::Match;

QueryNode Parsed(std::string_view q) {
  auto node = ParseQuery(q);
  EXPECT_TRUE(node.has_value()) << q << ": " << node.error().message;
  return node ? *node : QueryNode{};
}

QueryNode Leaf(std::string field, FieldKind kind, Match match, std::string value) {
  return QueryNode{.kind = Kind::kMatch,
                   .field = std::move(field),
                   .field_kind = kind,
                   .match = match,
                   .value = std::move(value)};
}

QueryNode Word(std::string value) {
  return Leaf("message", FieldKind::kText, Match::kTerm, std::move(value));
}

TEST(QueryLanguageTest, FreeWordsPhrasesAndPrefixesAreOverTheMessage) {
  EXPECT_EQ(Parsed(""), QueryNode{});
  EXPECT_EQ(Parsed("  \t"), QueryNode{});
  EXPECT_EQ(Parsed("req-42"), Word("req-42"));
  EXPECT_EQ(Parsed("10.0.0.1"), Word("10.0.0.1"));
  EXPECT_EQ(Parsed("\"card \\\"declined\\\"\""),
            Leaf("message", FieldKind::kText, Match::kPhrase, "card \"declined\""));
  EXPECT_EQ(Parsed("pay*"), Leaf("message", FieldKind::kText, Match::kPrefix, "pay"));
  EXPECT_EQ(Parsed("message:pay*"), Leaf("message", FieldKind::kText, Match::kPrefix, "pay"));
  // Operators are upper case only.
  EXPECT_EQ(Parsed("and"), Word("and"));
}

TEST(QueryLanguageTest, FieldsByClass) {
  EXPECT_EQ(Parsed("service:web"), Leaf("service", FieldKind::kKeyword, Match::kTerm, "web"));
  EXPECT_EQ(Parsed("level:warning"), Leaf("level", FieldKind::kKeyword, Match::kTerm, "WARN"));
  EXPECT_EQ(Parsed("labels.env:\"prod eu\""),
            Leaf("labels.env", FieldKind::kKeyword, Match::kPhrase, "prod eu"));
  EXPECT_EQ(Parsed("geo.city_name:New*"),
            Leaf("geo.city_name", FieldKind::kKeyword, Match::kPrefix, "New"));
  EXPECT_EQ(Parsed("payload.http.method:POST"),
            Leaf("payload.http.method", FieldKind::kPayload, Match::kTerm, "POST"));
  // The value runs to whitespace, so times and URLs keep their colons.
  EXPECT_EQ(Parsed("payload.url:http://x/y"),
            Leaf("payload.url", FieldKind::kPayload, Match::kTerm, "http://x/y"));
}

TEST(QueryLanguageTest, ComparisonsAndRanges) {
  auto node = Parsed("payload.status>=500");
  EXPECT_EQ(node.kind, Kind::kRange);
  EXPECT_EQ(node.field, "payload.status");
  ASSERT_TRUE(node.lower.has_value());
  EXPECT_EQ(node.lower->number, 500.0);
  EXPECT_TRUE(node.lower->inclusive);
  EXPECT_FALSE(node.upper.has_value());

  node = Parsed("payload.duration_ms<2.5");
  ASSERT_TRUE(node.upper.has_value());
  EXPECT_EQ(node.upper->number, 2.5);
  EXPECT_FALSE(node.upper->inclusive);

  node = Parsed("payload.duration_ms:{100 TO 500]");
  ASSERT_TRUE(node.lower && node.upper);
  EXPECT_FALSE(node.lower->inclusive);
  EXPECT_TRUE(node.upper->inclusive);
  EXPECT_EQ(node.upper->number, 500.0);

  node = Parsed("timestamp:[2025-10-30T00:00:00Z TO *]");
  ASSERT_TRUE(node.lower.has_value());
  EXPECT_EQ(node.lower->time_ms, 1'761'782'400'000);
  EXPECT_FALSE(node.upper.has_value());
  EXPECT_EQ(Parsed("timestamp>2025-10-30T00:00:00.000+01:00").lower->time_ms, 1'761'778'800'000);
}

TEST(QueryLanguageTest, PrecedenceIsNotThenAndThenOr) {
  const auto a = Word("a");
  const auto b = Word("b");
  const auto c = Word("c");
  const auto d = Word("d");
  const QueryNode not_d{.kind = Kind::kNot, .children = {d}};
  // a b OR c -d  ==  (a AND b) OR (c AND NOT d)
  EXPECT_EQ(Parsed("a b OR c -d"),
            (QueryNode{.kind = Kind::kOr,
                       .children = {QueryNode{.kind = Kind::kAnd, .children = {a, b}},
                                    QueryNode{.kind = Kind::kAnd, .children = {c, not_d}}}}));
  EXPECT_EQ(Parsed("a AND (b OR c) NOT d"),
            (QueryNode{.kind = Kind::kAnd,
                       .children = {a, QueryNode{.kind = Kind::kOr, .children = {b, c}}, not_d}}));
  EXPECT_EQ(Parsed("NOT NOT a"),
            (QueryNode{.kind = Kind::kNot,
                       .children = {QueryNode{.kind = Kind::kNot, .children = {a}}}}));
  EXPECT_EQ(Parsed("(a)"), a);
}

TEST(QueryLanguageTest, ErrorsNameThePosition) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"\"unbalanced", "invalid query at character 1: the quote is never closed"},
      {"a AND", "invalid query at character 6: the query ends where a search term is needed"},
      {"a OR OR b", "invalid query at character 6: OR where a search term is needed"},
      {"(a b", "invalid query at character 1: the parenthesis is never closed"},
      {"a b)", "invalid query at character 4: unexpected \")\""},
      {"pa*y", "invalid query at character 1: \"*\" may only end a word, as in pay*"},
      {"x *", "invalid query at character 3: \"*\" must end a word, as in pay*"},
      {"service:", "invalid query at character 1: a value is needed after \"service:\""},
      {"a - b", "invalid query at character 3: \"-\" must be followed by what to leave out"},
      {"payload.status>=abc",
       "invalid query at character 17: payload.status compares numbers: \"abc\" is not one"},
      {"service>a",
       "invalid query at character 9: service cannot be compared or ranged; only payload.* "
       "numbers and timestamp can"},
      {"payload.d:[1 TO *", "invalid query at character 1: the range is never closed with ] or }"},
      {"payload.d:[1 2]",
       "invalid query at character 14: a range is written [LOW TO HIGH], with * "
       "for an open end"},
      {"timestamp:yesterday",
       "invalid query at character 1: timestamp takes a comparison or a range, e.g. "
       "timestamp>=2025-10-30T00:00:00Z"},
  };
  for (const auto& [q, message] : cases) {
    const auto node = ParseQuery(q);
    ASSERT_FALSE(node.has_value()) << q;
    EXPECT_EQ(node.error().error_class, ErrorClass::kPermanent);
    EXPECT_EQ(node.error().message, message) << q;
  }
  const auto unknown = ParseQuery("a colour:red");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_TRUE(
      unknown.error().message.starts_with("invalid query at character 3: unknown field \"colour\""))
      << unknown.error().message;
  EXPECT_FALSE(ParseQuery(std::string(100, '(') + "a" + std::string(100, ')')).has_value());
  EXPECT_FALSE(ParseQuery("labels.:x").has_value());
  EXPECT_FALSE(ParseQuery("payload..a:x").has_value());
}

TEST(QueryLanguageTest, AddsFiltersWithAnd) {
  EXPECT_EQ(AndQuery(QueryNode{}, FieldEquals("level", "error")),
            Leaf("level", FieldKind::kKeyword, Match::kPhrase, "ERROR"));
  const auto both = AndQuery(Parsed("a b"), FieldEquals("service", "web"));
  EXPECT_EQ(both.kind, Kind::kAnd);
  EXPECT_EQ(both.children.size(), 3u);
}

}  // namespace
}  // namespace lp::search
