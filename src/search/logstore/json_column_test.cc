#include "search/logstore/json_column.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

namespace lp::search::logstore {
namespace {

std::vector<std::string> RoundTrip(const std::vector<std::string>& documents) {
  JsonColumnWriter writer;
  for (const auto& document : documents) writer.Add(document);
  EXPECT_EQ(writer.rows(), documents.size());
  const std::string encoded = writer.Finish().value();
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

TEST(JsonColumnTest, StartsOverAfterFinish) {
  JsonColumnWriter writer;
  writer.Add(R"({"a":1})");
  (void)writer.Finish().value();
  writer.Add(R"({"b":"two"})");
  const std::string encoded = writer.Finish().value();
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
  const std::string encoded = writer.Finish().value();
  std::string text;
  std::vector<std::string_view> views;
  for (size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_FALSE(DecodeJsonColumn(encoded.substr(0, size), 3, text, views)) << size;
  }
  EXPECT_FALSE(DecodeJsonColumn(encoded, 2, text, views));
  EXPECT_FALSE(DecodeJsonColumn(encoded, 4, text, views));
}

TEST(JsonColumnTest, RefusesAShapeWhosePathHasNoValues) {
  // One shape `{"a":<string>}`, one row, no paths (the inline layout, written out by hand).
  std::string encoded;
  encoded += '\x01';
  encoded += '\x07';
  encoded += "{\"a\":\x01}";
  encoded += '\x01';  // the row's shape
  encoded += '\x00';  // no whole documents
  encoded += '\x00';  // no paths
  std::string text;
  std::vector<std::string_view> views;
  const auto decoded = DecodeJsonColumn(encoded, 1, text, views, JsonColumnLayout::kInline);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().message, "json column: a shape's path has no values");
}

// Each row's leaf at `path` as "<kind>:<text>" (s: string, b: bare, -: missing).
std::vector<std::string> Leaves(const std::vector<std::string>& documents,
                                const std::vector<std::string>& path) {
  JsonColumnWriter writer;
  for (const auto& document : documents) writer.Add(document);
  const std::string encoded = writer.Finish().value();
  std::vector<std::vector<JsonLeaf>> leaves;
  std::deque<std::string> storage;
  const std::vector<std::vector<std::string>> paths = {path};
  const auto read =
      ReadJsonLeaves(encoded, documents.size(), JsonColumnLayout::kFramed, paths, leaves, storage);
  EXPECT_TRUE(read && *read);
  std::vector<std::string> out;
  for (const auto& leaf : leaves.at(0)) {
    const char* kind = leaf.kind == JsonLeaf::Kind::kString ? "s:"
                       : leaf.kind == JsonLeaf::Kind::kBare ? "b:"
                                                            : "-";
    out.push_back(kind + std::string(leaf.text));
  }
  return out;
}

TEST(JsonColumnTest, ReadsEachRowsValueAtAPathWithoutRebuilding) {
  const std::vector<std::string> documents = {
      R"({"trace_id":"a1","payload":{"status":200,"ok":true,"user":{"id":"u1"}},)"
      R"("labels":{"env":"prod","a.b":"dotted"}})",
      R"({"payload":{"status":503,"tags":["x",1]},"labels":{"env":"dev"}})",
      R"({"payload":{"a":{"b":5}},"labels":{"a":{"b":"nested"}}})",
      R"({"payload":{"status":"first","status":7}})",
      R"({"payload":{"user":"flat"},"payload":{"status":9}})",
      R"({ "payload" : { "status" : null , "note" : "say \"hi\"" } })",
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(Leaves(documents, {"payload", "status"}),
            (V{"b:200", "b:503", "-", "s:first", "-", "b:null"}));
  EXPECT_EQ(Leaves(documents, {"labels", "env"}), (V{"s:prod", "s:dev", "-", "-", "-", "-"}));
  // A key holding a dot and the nested path spelled alike share one stream of values.
  EXPECT_EQ(Leaves(documents, {"labels", "a.b"}), (V{"s:dotted", "-", "-", "-", "-", "-"}));
  EXPECT_EQ(Leaves(documents, {"labels", "a", "b"}), (V{"-", "-", "s:nested", "-", "-", "-"}));
  EXPECT_EQ(Leaves(documents, {"payload", "a", "b"}), (V{"-", "-", "b:5", "-", "-", "-"}));
  // An object or array where the path ends is no leaf; the first of repeated keys is taken.
  EXPECT_EQ(Leaves(documents, {"payload", "user"}), (V{"-", "-", "-", "-", "s:flat", "-"}));
  EXPECT_EQ(Leaves(documents, {"payload", "user", "id"}), (V{"s:u1", "-", "-", "-", "-", "-"}));
  EXPECT_EQ(Leaves(documents, {"payload", "tags"}), (V{"-", "-", "-", "-", "-", "-"}));
  EXPECT_EQ(Leaves(documents, {"trace_id"}), (V{"s:a1", "-", "-", "-", "-", "-"}));
  EXPECT_EQ(Leaves(documents, {"payload", "note"}),
            (V{"-", "-", "-", "-", "-", R"(s:say \"hi\")"}));
  EXPECT_EQ(Leaves(documents, {"absent"}), (V{"-", "-", "-", "-", "-", "-"}));
}

// A key spelled "[]" shares its stream's name with an array's elements (found by the fuzzer).
TEST(JsonColumnTest, AKeySpelledLikeAnArrayIsReadAsAKey) {
  const std::vector<std::string> documents = {R"({"user":{"[]":"key"}})", R"({"user":["element"]})",
                                              R"({"user":{"[]":"again","id":["a"]}})"};
  EXPECT_EQ(Leaves(documents, {"user", "[]"}), (std::vector<std::string>{"s:key", "-", "s:again"}));
  EXPECT_EQ(Leaves(documents, {"user"}), (std::vector<std::string>{"-", "-", "-"}));
}

TEST(JsonColumnTest, LeavesAreNotReadFromWholeDocumentsOrEscapedKeys) {
  for (const std::string odd : {R"({"unterminated":"value)", R"({"sta\u0074us":1})"}) {
    JsonColumnWriter writer;
    writer.Add(R"({"status":2})");
    writer.Add(odd);
    const std::string encoded = writer.Finish().value();
    std::vector<std::vector<JsonLeaf>> leaves;
    std::deque<std::string> storage;
    const std::vector<std::vector<std::string>> paths = {{"status"}};
    const auto read = ReadJsonLeaves(encoded, 2, JsonColumnLayout::kFramed, paths, leaves, storage);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_FALSE(*read) << odd;
  }
}

TEST(JsonColumnTest, LeavesOfATruncatedColumnAreAnErrorNeverARead) {
  JsonColumnWriter writer;
  writer.Add(R"({"a":1,"b":{"c":"x"}})");
  writer.Add(R"({"a":2,"b":{"c":"y"}})");
  const std::string encoded = writer.Finish().value();
  std::vector<std::vector<JsonLeaf>> leaves;
  std::deque<std::string> storage;
  const std::vector<std::vector<std::string>> paths = {{"a"}, {"b", "c"}};
  for (size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_FALSE(ReadJsonLeaves(encoded.substr(0, size), 2, JsonColumnLayout::kFramed, paths,
                                leaves, storage))
        << size;
  }
  EXPECT_FALSE(ReadJsonLeaves(encoded, 3, JsonColumnLayout::kFramed, paths, leaves, storage));
}

}  // namespace
}  // namespace lp::search::logstore
