#include "core/url_query.h"

#include <gtest/gtest.h>

namespace lp {
namespace {

TEST(UrlQueryTest, DecodesPercentEscapesAndPlus) {
  const auto parameters = ParseUrlQuery("q=%22card+declined%22&service=web&level=&x=%C3%A9");
  ASSERT_TRUE(parameters.has_value());
  EXPECT_EQ(parameters->at("q"), "\"card declined\"");
  EXPECT_EQ(parameters->at("service"), "web");
  EXPECT_EQ(parameters->at("level"), "");
  EXPECT_EQ(parameters->at("x"), "\xc3\xa9");
}

TEST(UrlQueryTest, RefusesMalformedEscapes) {
  EXPECT_FALSE(ParseUrlQuery("q=%2").has_value());
  EXPECT_FALSE(ParseUrlQuery("q=%zz").has_value());
  EXPECT_TRUE(ParseUrlQuery("").has_value());
}

TEST(UrlQueryTest, EncodesWhatItParsesBack) {
  const std::vector<std::pair<std::string, std::string>> parameters = {
      {"q", "\"card declined\" AND pay*"},
      {"from", "2025-10-30T12:00:00+05:30"},
      {"x&y", "a=b%c é"}};
  const auto encoded = EncodeUrlQuery(parameters);
  EXPECT_TRUE(encoded.starts_with("q=%22card%20declined%22%20AND%20pay%2A&from=2025-10-30T12%3A00"))
      << encoded;
  const auto decoded = ParseUrlQuery(encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->size(), 3u);
  for (const auto& [name, value] : parameters) EXPECT_EQ(decoded->at(name), value);
}

}  // namespace
}  // namespace lp
