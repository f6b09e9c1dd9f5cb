#pragma once

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "search/logstore/part.h"
#include "search/query_language.h"

namespace lp::search::logstore {

/// A block's document values at the paths a query reads, as Part::DecodeLeaves gave them.
struct BlockLeaves {
  std::span<const std::vector<std::string>> paths;
  const std::vector<std::vector<JsonLeaf>>* values = nullptr;

  /// The row's value at `path`; nullptr when `path` was not read.
  [[nodiscard]] const JsonLeaf* Find(const std::vector<std::string>& path, uint32_t row) const {
    for (size_t p = 0; p < paths.size(); ++p) {
      if (paths[p] == path) return &(*values)[p][row];
    }
    return nullptr;
  }
};

/// One row as a query reads it: the columns, and the document for fields that have none.
struct RowRef {
  int64_t timestamp_ms = 0;
  uint8_t level = 0;
  std::string_view service{};
  std::string_view host{};  ///< Empty: the event has no host.
  std::string_view message{};
  std::string_view json{};
  std::string_view tenant{};  ///< Empty: the event has no tenant.
  /// When set, document fields are read from here (for row `row`), not by parsing `json`.
  const BlockLeaves* leaves = nullptr;
  uint32_t row = 0;
};

/// A document field's scalar value as a query sees it (null, objects and arrays are none).
struct Leaf {
  enum class Type { kString, kNumber, kBool };
  Type type = Type::kString;
  /// kString: the value; kNumber: its JSON text; kBool: "true" or "false". Valid until the
  /// next lookup with the same scratch.
  std::string_view text{};
  double number = 0;  ///< kNumber.
};

/// Per thread: what a row's clauses share (the message's tokens, the document ready to walk),
/// computed at most once per row and only when a clause needs it.
class RowScratch {
 public:
  /// Forgets the previous row.
  void Reset() {
    tokenized_ = false;
    padded_size_ = kNotCopied;
  }
  [[nodiscard]] const std::vector<std::string>& Tokens(std::string_view message);
  /// The value at `path` in the document `json`, nullopt when there is none. `quoted_key` is
  /// the last key in quotes: a document without a backslash (an escaped key could spell it
  /// otherwise) that lacks those bytes is answered without parsing.
  [[nodiscard]] std::optional<Leaf> Find(std::string_view json,
                                         const std::vector<std::string>& path,
                                         std::string_view quoted_key);
  /// The same answer as Find, from a value read out of a block's json column.
  [[nodiscard]] std::optional<Leaf> LeafOf(const JsonLeaf& stored);

 private:
  static constexpr size_t kNotCopied = SIZE_MAX;
  bool tokenized_ = false;
  std::string token_;
  std::vector<std::string> tokens_;
  // The row's document copied with simdjson's padding, walked On-Demand per lookup: each
  // lookup parses only as far as its path, never the whole document into a tree.
  std::string padded_;
  size_t padded_size_ = kNotCopied;
  bool has_backslash_ = false;
  std::string value_;
  simdjson::ondemand::parser parser_;
};

/// Where a field's value comes from: a column, or a path into the document.
struct FieldSource {
  enum class Kind { kService, kLevel, kHost, kTenant, kMessage, kTimestamp, kDocument };
  Kind kind = Kind::kDocument;
  std::vector<std::string> path{};  ///< kDocument: the keys from the root.
  std::string quoted_key{};         ///< kDocument: the last key, in quotes.
  bool payload = false;             ///< kDocument under `payload`: numbers and booleans match.

  /// Permanent error for a name the query language does not know.
  [[nodiscard]] static Result<FieldSource> Of(std::string_view field);
  /// Columns a row needs for this field (beyond timestamp and level, always read).
  [[nodiscard]] uint32_t Columns() const;
  /// The value as text (numbers and booleans as their JSON text), or nullopt when the row has
  /// none or it is not a leaf. `owned` keeps text the row does not hold.
  [[nodiscard]] std::optional<std::string_view> Text(const RowRef& row, RowScratch& scratch,
                                                     std::string& owned) const;
};

/// A query (the query language's AST and a time range) compiled for the log store. Matches rows
/// exactly as docs/QUERY_LANGUAGE.md says, and rules out whole blocks from their summaries
/// (time range, level counts, the bloom filter of message tokens) so they are never
/// decompressed. Immutable and shareable once compiled.
class QueryPlan {
 public:
  [[nodiscard]] static Result<QueryPlan> Compile(const QueryNode& filter,
                                                 std::optional<int64_t> from_ms,
                                                 std::optional<int64_t> to_ms);

  /// Columns the row tests need (ColumnBit), beyond timestamp and level.
  [[nodiscard]] uint32_t columns() const { return columns_; }
  /// The document paths the row tests read, each once.
  [[nodiscard]] const std::vector<std::vector<std::string>>& document_paths() const {
    return document_paths_;
  }
  [[nodiscard]] bool InRange(int64_t timestamp_ms) const {
    return timestamp_ms >= from_ms_ && timestamp_ms < to_ms_;
  }
  /// False when no row of a block (or buffered chunk) with these summaries can match.
  [[nodiscard]] bool MayMatch(const BlockSummary& block, std::string_view bloom) const;
  [[nodiscard]] bool MayMatchTimes(int64_t min_ms, int64_t max_ms) const;
  /// Whether every row of the block is in the time range.
  [[nodiscard]] bool Covers(const BlockSummary& block) const {
    return block.min_timestamp_ms >= from_ms_ && block.max_timestamp_ms < to_ms_;
  }
  /// Whether every row of the block matches (no filter but a time range that covers it).
  [[nodiscard]] bool TakesEveryRow(const BlockSummary& block) const {
    return summary_filter_ && !summary_filter_->service && Covers(block) &&
           std::all_of(summary_filter_->levels.begin(), summary_filter_->levels.end(),
                       [](bool level) { return level; });
  }
  /// Whether the filter is at most levels and one service, which block summaries answer.
  [[nodiscard]] bool summary_answers() const { return summary_filter_.has_value(); }
  /// Whether the filter names a service (and at most levels besides): counting from a block's
  /// summary then needs its service levels column.
  [[nodiscard]] bool counts_by_service() const {
    return summary_filter_ && summary_filter_->service.has_value();
  }
  /// The matches among a block's live rows, per level, when its summaries alone tell: every row
  /// is in the time range and the filter is at most levels and one service (whose rows
  /// `services`, the block's service levels, give); nullopt when rows must be read.
  [[nodiscard]] std::optional<std::array<uint64_t, kLevels>> LevelCountsFromSummary(
      const BlockSummary& block, std::span<const ServiceLevels> services) const;
  /// The rows of one service's entry the filter takes, ignoring time; only where the filter is
  /// at most levels and one service (LevelCountsFromSummary answers).
  [[nodiscard]] uint64_t CountOf(const ServiceLevels& entry) const;
  /// Whether the row matches, the time range included. Starts `scratch` afresh for the row; it
  /// stays valid for reading the row's fields (FieldSource::Text) until the next call.
  [[nodiscard]] bool Matches(const RowRef& row, RowScratch& scratch) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
  // The filter as levels and at most one service, when it is no more than that.
  struct SummaryFilter {
    std::optional<std::string> service;
    std::array<bool, kLevels> levels{};
  };
  std::optional<SummaryFilter> summary_filter_;
  uint32_t columns_ = 0;
  std::vector<std::vector<std::string>> document_paths_;
  int64_t from_ms_ = INT64_MIN;
  int64_t to_ms_ = INT64_MAX;  // Exclusive.
};

}  // namespace lp::search::logstore
