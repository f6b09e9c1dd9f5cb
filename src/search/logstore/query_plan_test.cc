#include "search/logstore/query_plan.h"

#include <gtest/gtest.h>

#include <deque>

#include "core/level.h"
#include "search/logstore/tokens.h"

namespace lp::search::logstore {
namespace {

QueryPlan Plan(std::string_view q, std::optional<int64_t> from = {},
               std::optional<int64_t> to = {}) {
  auto node = ParseQuery(q);
  EXPECT_TRUE(node.has_value()) << node.error().message;
  auto plan = QueryPlan::Compile(*node, from, to);
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  return *plan;
}

// A block of 10 rows from 1000 to 2000 ms: 7 INFO, 3 ERROR, messages with "payment declined".
struct Block {
  BlockSummary summary{.rows = 10, .min_timestamp_ms = 1000, .max_timestamp_ms = 2000};
  BloomBuilder bloom{5};
  Block() {
    summary.level_counts[static_cast<size_t>(Level::kInfo)] = 7;
    summary.level_counts[static_cast<size_t>(Level::kError)] = 3;
    bloom.Add(HashToken("payment"));
    bloom.Add(HashToken("declined"));
    bloom.Add(HashKeyword("service", "payments"));
    bloom.Add(HashKeyword("host", "pay-1"));
    bloom.Add(HashKeyword("tenant", "acme"));
  }
};

TEST(QueryPlanTest, RulesOutBlocksByTimeLevelAndMessageWords) {
  const Block block;
  const auto may = [&](std::string_view q, std::optional<int64_t> from = {},
                       std::optional<int64_t> to = {}) {
    return Plan(q, from, to).MayMatch(block.summary, block.bloom.bytes());
  };
  EXPECT_TRUE(may(""));
  EXPECT_TRUE(may("level:ERROR declined"));
  EXPECT_FALSE(may("level:WARN"));
  EXPECT_FALSE(may("accepted"));
  EXPECT_TRUE(may("accepted OR declined"));
  EXPECT_FALSE(may("accepted OR level:FATAL"));
  EXPECT_TRUE(may("NOT accepted"));  // A negation never rules a block out.
  EXPECT_TRUE(may("service:payments host:pay-1"));
  EXPECT_FALSE(may("service:web"));
  EXPECT_FALSE(may("host:pay-2"));
  EXPECT_TRUE(may("tenant:acme"));
  EXPECT_FALSE(may("tenant:globex"));
  EXPECT_TRUE(may("host:pay*"));                         // Prefixes have no bloom key.
  EXPECT_TRUE(may("payload.status>=500 trace_id:t-1"));  // No summary for these.
  EXPECT_FALSE(may("", 2001));
  EXPECT_FALSE(may("", {}, 1000));
  EXPECT_TRUE(may("", 2000, 2001));
  EXPECT_FALSE(may("timestamp>1970-01-01T00:00:02Z"));
  EXPECT_TRUE(may("timestamp>=1970-01-01T00:00:02Z"));
}

TEST(QueryPlanTest, CountsFromSummariesOnlyWhenLevelsAndOneServiceDecide) {
  const Block block;  // 7 INFO and 3 ERROR rows.
  constexpr auto kInfo = static_cast<size_t>(Level::kInfo);
  constexpr auto kError = static_cast<size_t>(Level::kError);
  std::vector<ServiceLevels> services(2);
  services[0].service = "payments";
  services[0].counts[kInfo] = 5;
  services[0].counts[kError] = 3;
  services[1].service = "web";
  services[1].counts[kInfo] = 2;
  const auto total = [&](std::string_view q,
                         std::optional<int64_t> from = {}) -> std::optional<uint64_t> {
    const auto counts = Plan(q, from).LevelCountsFromSummary(block.summary, services);
    if (!counts) return std::nullopt;
    uint64_t sum = 0;
    for (const uint64_t count : *counts) sum += count;
    return sum;
  };
  EXPECT_EQ(total(""), 10u);
  EXPECT_EQ(total("level:ERROR"), 3u);
  EXPECT_EQ(total("level:E*"), 3u);
  EXPECT_EQ(total("service:payments"), 8u);
  EXPECT_EQ(total("service:payments level:ERROR"), 3u);
  EXPECT_EQ(total("level:INFO AND service:web"), 2u);
  EXPECT_EQ(total("service:web level:ERROR"), 0u);
  EXPECT_EQ(total("service:web service:payments"), 0u);
  EXPECT_EQ(total("service:nope"), 0u);
  EXPECT_EQ(total("", 1500), std::nullopt);
  EXPECT_EQ(total("declined"), std::nullopt);
  EXPECT_EQ(total("service:pay*"), std::nullopt);
  EXPECT_EQ(total("service:web OR level:ERROR"), std::nullopt);
  EXPECT_EQ(total("NOT service:web"), std::nullopt);
  EXPECT_TRUE(Plan("service:web").counts_by_service());
  EXPECT_FALSE(Plan("level:ERROR").counts_by_service());
  EXPECT_EQ(Plan("level:INFO").CountOf(services[0]), 5u);
  EXPECT_EQ(Plan("").CountOf(services[0]), 8u);
  EXPECT_EQ(Plan("service:web").CountOf(services[0]), 0u);
}

TEST(QueryPlanTest, MatchesColumnsAndDocumentFields) {
  RowScratch scratch;
  const RowRef row{
      .timestamp_ms = 1500,
      .level = static_cast<uint8_t>(Level::kError),
      .service = "payments",
      .host = "pay-1",
      .message = "Card declined by issuer",
      .json = R"({"labels":{"k8s.pod":"p-1"},"geo":{"country_iso_code":"DE"},)"
              R"("payload":{"status":500,"ok":false,"user":{"id":"u-7"}},"trace_id":"t-1"})",
      .tenant = "acme",
  };
  const auto matches = [&](std::string_view q) { return Plan(q).Matches(row, scratch); };
  EXPECT_TRUE(matches("service:payments level:ERROR host:pay-1"));
  EXPECT_TRUE(matches("\"card declined\" issu*"));
  EXPECT_TRUE(matches("labels.k8s.pod:p-1 geo.country_iso_code:DE trace_id:t-1"));
  EXPECT_TRUE(matches("payload.status:500 payload.status>=500 payload.ok:false"));
  EXPECT_TRUE(matches("payload.user.id:u-7 payload.status:5*"));
  EXPECT_FALSE(matches("payload.status:501"));
  EXPECT_FALSE(matches("payload.user>=1"));
  EXPECT_FALSE(matches("host:pay"));
  EXPECT_TRUE(matches("host:pay*"));
  EXPECT_TRUE(matches("NOT request_id:r-1"));
  EXPECT_TRUE(matches("tenant:acme"));
  EXPECT_FALSE(matches("tenant:globex"));
  EXPECT_FALSE(Plan("", 1501).Matches(row, scratch));
}

TEST(QueryPlanTest, ReadsFieldsAsText) {
  RowScratch scratch;
  const RowRef row{.json = R"({"payload":{"status":500,"ok":true,"obj":{}},"trace_id":"t"})"};
  std::string owned;
  const auto text = [&](std::string_view field) {
    auto source = FieldSource::Of(field);
    EXPECT_TRUE(source.has_value());
    scratch.Reset();
    const auto value = source->Text(row, scratch, owned);
    return value ? std::optional<std::string>(*value) : std::nullopt;
  };
  EXPECT_EQ(text("payload.status"), "500");
  EXPECT_EQ(text("payload.ok"), "true");
  EXPECT_EQ(text("payload.obj"), std::nullopt);
  EXPECT_EQ(text("trace_id"), "t");
  EXPECT_EQ(text("host"), std::nullopt);
  EXPECT_FALSE(FieldSource::Of("nope").has_value());
}

// Documents whose values take every form a leaf can: escapes, numbers of every shape, booleans,
// null, objects and arrays where a path ends, repeated keys, keys holding dots.
const std::vector<std::string> kVariedDocuments = {
    R"({"payload":{"status":500,"ok":false,"user":{"id":"u-7"}},"labels":{"k8s.pod":"p-1"}})",
    R"({"payload":{"status":-1.5e3,"ok":true,"user":"flat","note":"say \"hi\" \u00e9"}})",
    R"({"payload":{"status":"503","status":1,"big":123456789012345678901234567890}})",
    R"({"payload":{"status":null,"user":{"id":7}},"labels":{"k8s":{"pod":"nested"}}})",
    R"({"payload":{"status":[500],"user":{"id":["a"]}},"trace_id":"t-\\1"})",
    R"({"labels":{"k8s.pod":"p-2"},"payload":{"user":{"id":"u-7"}},"payload":{"status":2}})",
    R"({ "payload" : { "status" : 0 , "ok" : true } , "trace_id" : "" })",
};

TEST(QueryPlanTest, ALeafReadFromTheColumnIsWhatParsingTheDocumentFinds) {
  const std::vector<std::vector<std::string>> paths = {
      {"payload", "status"}, {"payload", "ok"},  {"payload", "user"},   {"payload", "user", "id"},
      {"payload", "note"},   {"payload", "big"}, {"labels", "k8s.pod"}, {"labels", "k8s", "pod"},
      {"trace_id"},          {"absent"}};
  JsonColumnWriter writer;
  for (const auto& document : kVariedDocuments) writer.Add(document);
  const std::string encoded = writer.Finish().value();
  std::vector<std::vector<JsonLeaf>> leaves;
  std::deque<std::string> storage;
  const auto read = ReadJsonLeaves(encoded, kVariedDocuments.size(), JsonColumnLayout::kFramed,
                                   paths, leaves, storage);
  ASSERT_TRUE(read && *read);
  RowScratch parsing;
  RowScratch reading;
  for (size_t p = 0; p < paths.size(); ++p) {
    const std::string quoted = '"' + paths[p].back() + '"';
    for (size_t row = 0; row < kVariedDocuments.size(); ++row) {
      parsing.Reset();
      const auto parsed = parsing.Find(kVariedDocuments[row], paths[p], quoted);
      const auto stored = reading.LeafOf(leaves[p][row]);
      const std::string where = "path " + std::to_string(p) + " row " + std::to_string(row);
      ASSERT_EQ(parsed.has_value(), stored.has_value()) << where;
      if (!parsed) continue;
      EXPECT_EQ(parsed->type, stored->type) << where;
      EXPECT_EQ(parsed->text, stored->text) << where;
      EXPECT_EQ(parsed->number, stored->number) << where;
    }
  }
}

TEST(QueryPlanTest, MatchesTheSameRowsFromColumnValuesAsFromDocuments) {
  JsonColumnWriter writer;
  for (const auto& document : kVariedDocuments) writer.Add(document);
  const std::string encoded = writer.Finish().value();
  for (const std::string_view q :
       {"payload.status>=500", "payload.status:503", "payload.status:0", "payload.ok:true",
        "payload.user.id:u-7 OR labels.k8s.pod:p-*", "NOT payload.user:flat",
        "payload.note:\"say \\\"hi\\\" \u00e9\"", "trace_id:t* -payload.big>1e29",
        "payload.status:[-2000 TO 0]"}) {
    const auto plan = Plan(q);
    std::vector<std::vector<JsonLeaf>> leaves;
    std::deque<std::string> storage;
    const auto read = ReadJsonLeaves(encoded, kVariedDocuments.size(), JsonColumnLayout::kFramed,
                                     plan.document_paths(), leaves, storage);
    ASSERT_TRUE(read && *read);
    const BlockLeaves block{plan.document_paths(), &leaves};
    RowScratch scratch;
    size_t matched = 0;
    for (uint32_t row = 0; row < kVariedDocuments.size(); ++row) {
      const bool parsed = plan.Matches(RowRef{.json = kVariedDocuments[row]}, scratch);
      const bool stored = plan.Matches(RowRef{.leaves = &block, .row = row}, scratch);
      EXPECT_EQ(parsed, stored) << q << " row " << row;
      matched += parsed ? 1 : 0;
    }
    EXPECT_GT(matched, 0U) << q;
  }
}

}  // namespace
}  // namespace lp::search::logstore
