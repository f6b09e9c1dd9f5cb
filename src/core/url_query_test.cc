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

}  // namespace
}  // namespace lp
