#include "search/logstore/query_plan.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "core/level.h"
#include "search/logstore/text_term.h"
#include "search/logstore/tokens.h"

namespace lp::search::logstore {

const std::vector<std::string>& RowScratch::Tokens(std::string_view message) {
  if (!tokenized_) {
    size_t count = 0;
    ForEachToken(message, token_, [&](std::string_view token) {
      if (count == tokens_.size()) tokens_.emplace_back();
      tokens_[count++].assign(token);
    });
    // Kept, not shrunk, so the strings' storage is reused row after row.
    while (tokens_.size() > count) tokens_.pop_back();
    tokenized_ = true;
  }
  return tokens_;
}

std::optional<Leaf> RowScratch::Find(std::string_view json, const std::vector<std::string>& path,
                                     std::string_view quoted_key) {
  if (padded_size_ == kNotCopied) {
    has_backslash_ = json.find('\\') != std::string_view::npos;
    padded_.assign(json);
    padded_.resize(json.size() + simdjson::SIMDJSON_PADDING);
    padded_size_ = json.size();
  }
  if (!has_backslash_ && json.find(quoted_key) == std::string_view::npos) return std::nullopt;
  simdjson::ondemand::document document;
  if (parser_.iterate(padded_.data(), padded_size_, padded_.size()).get(document) !=
      simdjson::SUCCESS) {
    return std::nullopt;
  }
  simdjson::ondemand::object object;
  if (document.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;
  simdjson::ondemand::value value;
  for (size_t i = 0; i < path.size(); ++i) {
    if (object.find_field_unordered(path[i]).get(value) != simdjson::SUCCESS) return std::nullopt;
    if (i + 1 < path.size() && value.get_object().get(object) != simdjson::SUCCESS) {
      return std::nullopt;
    }
  }
  simdjson::ondemand::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return std::nullopt;
  Leaf leaf;
  switch (type) {
    case simdjson::ondemand::json_type::string: {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
      value_.assign(text);
      leaf.type = Leaf::Type::kString;
      leaf.text = value_;
      return leaf;
    }
    case simdjson::ondemand::json_type::number: {
      std::string_view raw = value.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                              raw.back() == '\t')) {
        raw.remove_suffix(1);
      }
      value_.assign(raw);
      if (value.get_double().get(leaf.number) != simdjson::SUCCESS) return std::nullopt;
      leaf.type = Leaf::Type::kNumber;
      leaf.text = value_;
      return leaf;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool flag = false;
      if (value.get_bool().get(flag) != simdjson::SUCCESS) return std::nullopt;
      leaf.type = Leaf::Type::kBool;
      leaf.text = flag ? "true" : "false";
      return leaf;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Leaf> RowScratch::LeafOf(const JsonLeaf& stored) {
  switch (stored.kind) {
    case JsonLeaf::Kind::kMissing:
      return std::nullopt;
    case JsonLeaf::Kind::kString: {
      if (stored.text.find('\\') == std::string_view::npos) {
        return Leaf{.type = Leaf::Type::kString, .text = stored.text};
      }
      // Escapes are rare in values: the string alone goes through the parser Find uses.
      padded_.assign(1, '"');
      padded_.append(stored.text);
      padded_.push_back('"');
      const size_t size = padded_.size();
      padded_.resize(size + simdjson::SIMDJSON_PADDING);
      padded_size_ = kNotCopied;  // padded_ no longer holds the row's document.
      simdjson::ondemand::document document;
      std::string_view text;
      if (parser_.iterate(padded_.data(), size, padded_.size()).get(document) !=
              simdjson::SUCCESS ||
          document.get_string().get(text) != simdjson::SUCCESS) {
        return std::nullopt;
      }
      value_.assign(text);
      return Leaf{.type = Leaf::Type::kString, .text = value_};
    }
    case JsonLeaf::Kind::kBare:
      break;
  }
  const auto text = stored.text;
  if (text == "true" || text == "false") return Leaf{.type = Leaf::Type::kBool, .text = text};
  Leaf leaf;
  if (text.empty() || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9'))) return std::nullopt;
  if (const auto parsed = std::from_chars(text.data(), text.data() + text.size(), leaf.number);
      parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  leaf.type = Leaf::Type::kNumber;
  leaf.text = text;
  return leaf;
}

Result<FieldSource> FieldSource::Of(std::string_view field) {
  using Kind = FieldSource::Kind;
  if (!ClassifyField(field)) return Permanent("unknown field \"" + std::string(field) + "\"");
  if (field == "service") return FieldSource{Kind::kService};
  if (field == "level") return FieldSource{Kind::kLevel};
  if (field == "host") return FieldSource{Kind::kHost};
  if (field == "tenant") return FieldSource{Kind::kTenant};
  if (field == "message") return FieldSource{Kind::kMessage};
  if (field == "timestamp") return FieldSource{Kind::kTimestamp};
  FieldSource source{Kind::kDocument};
  // `labels.<key>` is one key (label names may hold dots); `geo.` and `payload.` paths go into
  // nested objects.
  if (field.starts_with("labels.")) {
    source.path = {"labels", std::string(field.substr(7))};
    source.quoted_key = '"' + source.path.back() + '"';
    return source;
  }
  source.payload = field.starts_with("payload.");
  size_t start = 0;
  while (start <= field.size()) {
    size_t dot = field.find('.', start);
    if (dot == std::string_view::npos) dot = field.size();
    source.path.emplace_back(field.substr(start, dot - start));
    start = dot + 1;
  }
  source.quoted_key = '"' + source.path.back() + '"';
  return source;
}

uint32_t FieldSource::Columns() const {
  switch (kind) {
    case Kind::kService:
      return ColumnBit(Column::kService);
    case Kind::kHost:
      return ColumnBit(Column::kHost);
    case Kind::kTenant:
      return ColumnBit(Column::kTenant);
    case Kind::kMessage:
      return ColumnBit(Column::kMessage);
    case Kind::kDocument:
      return ColumnBit(Column::kJson);
    case Kind::kLevel:
    case Kind::kTimestamp:
      return 0;
  }
  return 0;
}

namespace {

std::optional<Leaf> Lookup(const FieldSource& source, const RowRef& row, RowScratch& scratch) {
  if (row.leaves != nullptr) {
    if (const auto* stored = row.leaves->Find(source.path, row.row)) return scratch.LeafOf(*stored);
  }
  return scratch.Find(row.json, source.path, source.quoted_key);
}

}  // namespace

std::optional<std::string_view> FieldSource::Text(const RowRef& row, RowScratch& scratch,
                                                  std::string& owned) const {
  switch (kind) {
    case Kind::kService:
      return row.service;
    case Kind::kLevel:
      return LevelName(static_cast<Level>(row.level));
    case Kind::kHost:
      if (row.host.empty()) return std::nullopt;
      return row.host;
    case Kind::kTenant:
      if (row.tenant.empty()) return std::nullopt;
      return row.tenant;
    case Kind::kMessage:
      return row.message;
    case Kind::kTimestamp:
      owned = std::to_string(row.timestamp_ms);
      return owned;
    case Kind::kDocument:
      break;
  }
  const auto leaf = Lookup(*this, row, scratch);
  if (!leaf) return std::nullopt;
  owned.assign(leaf->text);
  return owned;
}

struct QueryPlan::Node {
  enum class Kind { kAll, kAnd, kOr, kNot, kText, kLevels, kKeyword, kPayloadEquals, kRange };
  Kind kind = Kind::kAll;
  std::vector<Node> children{};
  std::optional<TextTerm> text{};
  std::array<bool, kLevels> levels{};  ///< kLevels: the codes that match.
  FieldSource field{};
  bool prefix = false;
  std::string value{};
  std::optional<double> number{};  ///< kPayloadEquals: `value` as a number, when it is one.
  std::optional<QueryNode::Bound> lower{};
  std::optional<QueryNode::Bound> upper{};
  int cost = 0;  ///< Cheaper children of an AND / OR are tried first.
};

namespace {

using Node = QueryPlan::Node;

// What compiling collects beside the nodes.
struct Needs {
  uint32_t columns = 0;
  std::vector<std::vector<std::string>> document_paths;
};

Result<Node> CompileNode(const QueryNode& query, Needs& needs) {
  Node node;
  switch (query.kind) {
    case QueryNode::Kind::kAll:
      return node;
    case QueryNode::Kind::kAnd:
    case QueryNode::Kind::kOr:
    case QueryNode::Kind::kNot: {
      node.kind = query.kind == QueryNode::Kind::kAnd  ? Node::Kind::kAnd
                  : query.kind == QueryNode::Kind::kOr ? Node::Kind::kOr
                                                       : Node::Kind::kNot;
      for (const auto& child : query.children) {
        auto compiled = CompileNode(child, needs);
        if (!compiled) return compiled;
        node.cost += compiled->cost;
        node.children.push_back(std::move(*compiled));
      }
      std::stable_sort(node.children.begin(), node.children.end(),
                       [](const Node& a, const Node& b) { return a.cost < b.cost; });
      return node;
    }
    case QueryNode::Kind::kMatch:
    case QueryNode::Kind::kRange:
      break;
  }
  auto field = FieldSource::Of(query.field);
  if (!field) return tl::unexpected(field.error());
  node.field = std::move(*field);
  needs.columns |= node.field.Columns();
  if (node.field.kind == FieldSource::Kind::kDocument &&
      std::find(needs.document_paths.begin(), needs.document_paths.end(), node.field.path) ==
          needs.document_paths.end()) {
    needs.document_paths.push_back(node.field.path);
  }
  node.cost = node.field.kind == FieldSource::Kind::kDocument  ? 3
              : node.field.kind == FieldSource::Kind::kMessage ? 2
                                                               : 1;
  node.prefix = query.match == QueryNode::Match::kPrefix;
  node.value = query.value;
  if (query.kind == QueryNode::Kind::kRange) {
    node.kind = Node::Kind::kRange;
    node.lower = query.lower;
    node.upper = query.upper;
    return node;
  }
  switch (node.field.kind) {
    case FieldSource::Kind::kMessage:
      node.kind = Node::Kind::kText;
      node.text.emplace(query.value, node.prefix);
      return node;
    case FieldSource::Kind::kLevel:
      node.kind = Node::Kind::kLevels;
      node.cost = 0;
      for (size_t level = 0; level < kLevels; ++level) {
        const auto name = LevelName(static_cast<Level>(level));
        node.levels[level] = node.prefix ? name.starts_with(query.value) : name == query.value;
      }
      return node;
    case FieldSource::Kind::kTimestamp:
      return Permanent("timestamp takes comparisons and ranges only");
    default:
      break;
  }
  if (node.field.payload && !node.prefix) {
    node.kind = Node::Kind::kPayloadEquals;
    double number = 0;
    const char* end = query.value.data() + query.value.size();
    if (const auto parsed = std::from_chars(query.value.data(), end, number);
        parsed.ec == std::errc{} && parsed.ptr == end) {
      node.number = number;
    }
    return node;
  }
  node.kind = Node::Kind::kKeyword;
  return node;
}

bool WithinBounds(double value, const std::optional<QueryNode::Bound>& lower,
                  const std::optional<QueryNode::Bound>& upper, bool time) {
  const auto bound_value = [time](const QueryNode::Bound& bound) {
    return time ? static_cast<double>(bound.time_ms.value_or(0)) : bound.number.value_or(0);
  };
  if (lower) {
    const double low = bound_value(*lower);
    if (lower->inclusive ? value < low : value <= low) return false;
  }
  if (upper) {
    const double high = bound_value(*upper);
    if (upper->inclusive ? value > high : value >= high) return false;
  }
  return true;
}

bool TimeRangeMatches(const Node& node, int64_t timestamp_ms) {
  if (node.lower) {
    const int64_t low = node.lower->time_ms.value_or(INT64_MIN);
    if (node.lower->inclusive ? timestamp_ms < low : timestamp_ms <= low) return false;
  }
  if (node.upper) {
    const int64_t high = node.upper->time_ms.value_or(INT64_MAX);
    if (node.upper->inclusive ? timestamp_ms > high : timestamp_ms >= high) return false;
  }
  return true;
}

bool Evaluate(const Node& node, const RowRef& row, RowScratch& scratch) {
  switch (node.kind) {
    case Node::Kind::kAll:
      return true;
    case Node::Kind::kAnd:
      return std::all_of(node.children.begin(), node.children.end(),
                         [&](const Node& child) { return Evaluate(child, row, scratch); });
    case Node::Kind::kOr:
      return std::any_of(node.children.begin(), node.children.end(),
                         [&](const Node& child) { return Evaluate(child, row, scratch); });
    case Node::Kind::kNot:
      return !Evaluate(node.children.front(), row, scratch);
    case Node::Kind::kText:
      switch (node.text->Scan(row.message)) {
        case TextTerm::Verdict::kNo:
          return false;
        case TextTerm::Verdict::kYes:
          return true;
        case TextTerm::Verdict::kAskTokens:
          return node.text->Matches(scratch.Tokens(row.message));
      }
      return false;
    case Node::Kind::kLevels:
      return row.level < kLevels && node.levels[row.level];
    case Node::Kind::kRange: {
      if (node.field.kind == FieldSource::Kind::kTimestamp) {
        return TimeRangeMatches(node, row.timestamp_ms);
      }
      const auto leaf = Lookup(node.field, row, scratch);
      return leaf && leaf->type == Leaf::Type::kNumber &&
             WithinBounds(leaf->number, node.lower, node.upper, false);
    }
    case Node::Kind::kPayloadEquals: {
      const auto leaf = Lookup(node.field, row, scratch);
      if (!leaf) return false;
      switch (leaf->type) {
        case Leaf::Type::kString:
        case Leaf::Type::kBool:
          return leaf->text == node.value;
        case Leaf::Type::kNumber:
          return node.number && leaf->number == *node.number;
      }
      return false;
    }
    case Node::Kind::kKeyword: {
      if (!node.prefix && node.field.kind == FieldSource::Kind::kDocument) {
        // Whole string values only: a number is never equal to a keyword.
        const auto leaf = Lookup(node.field, row, scratch);
        return leaf && leaf->type == Leaf::Type::kString && leaf->text == node.value;
      }
      std::string owned;
      const auto text = node.field.Text(row, scratch, owned);
      if (!text) return false;
      return node.prefix ? text->starts_with(node.value) : *text == node.value;
    }
  }
  return false;
}

bool MayMatchNode(const Node& node, const BlockSummary& block, std::string_view bloom) {
  switch (node.kind) {
    case Node::Kind::kAnd:
      return std::all_of(node.children.begin(), node.children.end(),
                         [&](const Node& child) { return MayMatchNode(child, block, bloom); });
    case Node::Kind::kOr:
      return std::any_of(node.children.begin(), node.children.end(),
                         [&](const Node& child) { return MayMatchNode(child, block, bloom); });
    case Node::Kind::kText:
      return node.text->MayMatch(bloom);
    case Node::Kind::kLevels:
      for (size_t level = 0; level < kLevels; ++level) {
        if (node.levels[level] && block.level_counts[level] > 0) return true;
      }
      return false;
    case Node::Kind::kKeyword: {
      if (node.prefix) return true;
      switch (node.field.kind) {
        case FieldSource::Kind::kService:
          return BloomMayContain(bloom, HashKeyword("service", node.value));
        case FieldSource::Kind::kHost:
          return BloomMayContain(bloom, HashKeyword("host", node.value));
        case FieldSource::Kind::kTenant:
          return BloomMayContain(bloom, HashKeyword("tenant", node.value));
        default:
          return true;
      }
    }
    case Node::Kind::kRange:
      if (node.field.kind != FieldSource::Kind::kTimestamp) return true;
      // Some timestamp of [min, max] within the bounds.
      if (node.lower) {
        const int64_t low = node.lower->time_ms.value_or(INT64_MIN);
        if (node.lower->inclusive ? block.max_timestamp_ms < low : block.max_timestamp_ms <= low) {
          return false;
        }
      }
      if (node.upper) {
        const int64_t high = node.upper->time_ms.value_or(INT64_MAX);
        if (node.upper->inclusive ? block.min_timestamp_ms > high
                                  : block.min_timestamp_ms >= high) {
          return false;
        }
      }
      return true;
    default:
      // A negation can never rule a block out (some row may lack what it negates), nor can
      // fields without a summary.
      return true;
  }
}

// Adds `node` to `filter` when it is levels, one exact service, or an AND of those; false
// otherwise (a filter of other kinds is not answered from summaries).
bool AddToSummaryFilter(const Node& node, std::optional<std::string>& service,
                        std::array<bool, kLevels>& levels) {
  switch (node.kind) {
    case Node::Kind::kAll:
      return true;
    case Node::Kind::kLevels:
      for (size_t level = 0; level < kLevels; ++level) levels[level] &= node.levels[level];
      return true;
    case Node::Kind::kKeyword:
      if (node.field.kind != FieldSource::Kind::kService || node.prefix) return false;
      // Two different services: no row is both.
      if (service && *service != node.value) levels.fill(false);
      service = node.value;
      return true;
    case Node::Kind::kAnd:
      return std::all_of(node.children.begin(), node.children.end(), [&](const Node& child) {
        return AddToSummaryFilter(child, service, levels);
      });
    default:
      return false;
  }
}

}  // namespace

Result<QueryPlan> QueryPlan::Compile(const QueryNode& filter, std::optional<int64_t> from_ms,
                                     std::optional<int64_t> to_ms) {
  QueryPlan plan;
  Needs needs;
  auto root = CompileNode(filter, needs);
  if (!root) return tl::unexpected(root.error());
  plan.columns_ = needs.columns;
  plan.document_paths_ = std::move(needs.document_paths);
  SummaryFilter summary;
  summary.levels.fill(true);
  if (AddToSummaryFilter(*root, summary.service, summary.levels)) {
    plan.summary_filter_ = std::move(summary);
  }
  plan.root_ = std::make_shared<const Node>(std::move(*root));
  if (from_ms) plan.from_ms_ = *from_ms;
  if (to_ms) plan.to_ms_ = *to_ms;
  return plan;
}

bool QueryPlan::MayMatchTimes(int64_t min_ms, int64_t max_ms) const {
  return max_ms >= from_ms_ && min_ms < to_ms_ && from_ms_ < to_ms_;
}

bool QueryPlan::MayMatch(const BlockSummary& block, std::string_view bloom) const {
  return MayMatchTimes(block.min_timestamp_ms, block.max_timestamp_ms) &&
         MayMatchNode(*root_, block, bloom);
}

std::optional<std::array<uint64_t, kLevels>> QueryPlan::LevelCountsFromSummary(
    const BlockSummary& block, std::span<const ServiceLevels> services) const {
  if (!summary_filter_ || !Covers(block)) return std::nullopt;
  std::array<uint64_t, kLevels> counts{};
  for (size_t level = 0; level < kLevels; ++level) {
    if (!summary_filter_->levels[level]) continue;
    if (!summary_filter_->service) {
      counts[level] = block.level_counts[level];
      continue;
    }
    for (const auto& entry : services) {
      if (entry.service == *summary_filter_->service) counts[level] += entry.counts[level];
    }
  }
  return counts;
}

uint64_t QueryPlan::CountOf(const ServiceLevels& entry) const {
  if (!summary_filter_ ||
      (summary_filter_->service && entry.service != *summary_filter_->service)) {
    return 0;
  }
  uint64_t count = 0;
  for (size_t level = 0; level < kLevels; ++level) {
    if (summary_filter_->levels[level]) count += entry.counts[level];
  }
  return count;
}

bool QueryPlan::Matches(const RowRef& row, RowScratch& scratch) const {
  scratch.Reset();
  return InRange(row.timestamp_ms) && Evaluate(*root_, row, scratch);
}

}  // namespace lp::search::logstore
