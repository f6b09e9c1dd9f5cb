#include "search/logstore/json_column.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lp::search::logstore {
namespace {

std::vector<std::string> RoundTrip(const std::vector<std::string>& documents) {
  JsonColumnWriter writer;
  for (const auto& document : documents) writer.Add(document);
  EXPECT_EQ(writer.rows(), documents.size());
  const std::string encoded = writer.Finish();
  std::string text;
  std::vector<std::string_view> views;
  const auto decoded = DecodeJsonColumn(encoded, documents.size(), text, views);
  EXPECT_TRUE(decoded) << decoded.error().message;
  return {views.begin(), views.end()};
}

TEST(JsonColumnTest, GivesBackEveryDocumentByteForByte) {
  const std::vector<std::string> documents = {
      R"({"trace_id":"6a4d","payload":{"status":200,"ip":"10.0.0.1"},"labels":{"env":"prod"}})",
      R"({"trace_id":"35ab","payload":{"status":503,"ip":"10.0.0.2"},"labels":{"env":"dev"}})",
      R"({"payload":{"tags":["a","b",3,true,null],"nested":{"deep":[{"x":-1.5e3}]}}})",
      R"({ "spaced" : "value" , "list" : [ 1 , 2 ] })",
      R"({"esc\"aped key":"a \"quoted\" value with {braces} and [brackets], commas: too"})",
      R"({"unicode":"caf\u00e9 — ünïcödé","empty":"","obj":{},"arr":[]})",
      "{}",
      "",
      "not json at all",
      R"({"unterminated":"value)",
      std::string("{\"nul\":\"a\0b\"}", 13),
      "{\"slot\x01key\":1}",
      "{\"control\":\"\x01\x02\"}",
      R"(["top","level",["array"]])",
      R"({"trace_id":"9f2c","payload":{"status":200,"ip":"10.0.0.3"},"labels":{"env":"prod"}})",
  };
  EXPECT_EQ(RoundTrip(documents), documents);
}

TEST(JsonColumnTest, RebuildsOnlyTheWantedRows) {
  const std::vector<std::string> documents = {
      R"({"a":1,"b":{"c":"x"}})", "kept whole", R"({"a":2,"b":{"c":"y"}})",
      R"({"b":{"c":"z"},"a":3})", R"({"a":4,"b":{"c":"w"}})"};
  JsonColumnWriter writer;
  for (const auto& document : documents) writer.Add(document);
  const std::string encoded = writer.Finish();
  std::string text;
  std::vector<std::string_view> views;
  const std::vector<uint8_t> wanted = {0, 0, 1, 0, 1};
  ASSERT_TRUE(DecodeJsonColumn(encoded, documents.size(), text, views, wanted));
  EXPECT_EQ(views, (std::vector<std::string_view>{"", "", documents[2], "", documents[4]}));
  EXPECT_FALSE(
      DecodeJsonColumn(encoded, documents.size(), text, views, std::vector<uint8_t>{1, 1}));
}

TEST(JsonColumnTest, StartsOverAfterFinish) {
  JsonColumnWriter writer;
  writer.Add(R"({"a":1})");
  (void)writer.Finish();
  writer.Add(R"({"b":"two"})");
  const std::string encoded = writer.Finish();
  std::string text;
  std::vector<std::string_view> views;
  ASSERT_TRUE(DecodeJsonColumn(encoded, 1, text, views));
  ASSERT_EQ(views.size(), 1U);
  EXPECT_EQ(views[0], R"({"b":"two"})");
}

TEST(JsonColumnTest, RefusesEveryTruncationAndAWrongRowCount) {
  JsonColumnWriter writer;
  writer.Add(R"({"a":1,"b":{"c":"x"}})");
  writer.Add(R"({"a":2,"b":{"c":"y"}})");
  writer.Add("whole");
  const std::string encoded = writer.Finish();
  std::string text;
  std::vector<std::string_view> views;
  for (size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_FALSE(DecodeJsonColumn(encoded.substr(0, size), 3, text, views)) << size;
  }
  EXPECT_FALSE(DecodeJsonColumn(encoded, 2, text, views));
  EXPECT_FALSE(DecodeJsonColumn(encoded, 4, text, views));
}

TEST(JsonColumnTest, RefusesAShapeWhosePathHasNoValues) {
  // One shape `{"a":<string>}`, one row, no paths.
  std::string encoded;
  encoded += '\x01';
  encoded += '\x07';
  encoded += "{\"a\":\x01}";
  encoded += '\x01';  // the row's shape
  encoded += '\x00';  // no whole documents
  encoded += '\x00';  // no paths
  std::string text;
  std::vector<std::string_view> views;
  const auto decoded = DecodeJsonColumn(encoded, 1, text, views);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().message, "json column: a shape's path has no values");
}

}  // namespace
}  // namespace lp::search::logstore
