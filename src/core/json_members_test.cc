#include "core/json_members.h"

#include <gtest/gtest.h>

#include <string>

namespace lp {
namespace {

std::vector<std::string_view> Members(std::string_view object) {
  std::vector<std::string_view> members;
  EXPECT_TRUE(FindTopLevelMembers(object, members)) << object;
  return members;
}

TEST(JsonMembersTest, FindsEachTopLevelMemberWithItsRawValue) {
  const std::string object =
      R"( { "a" : 1 , "b\"}" :"x\\\"},{" ,"c":{"d":[1,{"e":"]}"}]},"f":[ ],"g":-1.5e3,)"
      R"("h":true,"i":null,"j":"" } )";
  const auto members = Members(object);
  ASSERT_EQ(members.size(), 8u);
  EXPECT_EQ(members[0], R"("a" : 1)");
  EXPECT_EQ(members[1], R"("b\"}" :"x\\\"},{")");
  EXPECT_EQ(members[2], R"("c":{"d":[1,{"e":"]}"}]})");
  EXPECT_EQ(members[3], R"("f":[ ])");
  EXPECT_EQ(members[4], R"("g":-1.5e3)");
  EXPECT_EQ(members[5], R"("h":true)");
  EXPECT_EQ(members[7], R"("j":"")");
  EXPECT_TRUE(Members("{}").empty());
  EXPECT_TRUE(Members(" { } ").empty());
}

TEST(JsonMembersTest, RefusesWhatItCannotFollow) {
  std::vector<std::string_view> members;
  for (const char* text : {"", "[]", "{", R"({"a")", R"({"a":)", R"({"a":"x)", R"({"a":[1,2)",
                           R"({"a":1 "b":2})", R"({a:1})", R"({"a":1,})", R"({"a\":1})"}) {
    EXPECT_FALSE(FindTopLevelMembers(text, members)) << text;
  }
}

}  // namespace
}  // namespace lp
