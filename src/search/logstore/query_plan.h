#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "core/result.h"
#include "search/logstore/part.h"
#include "search/query_language.h"

namespace lp::search::logstore {

/// One row as a query reads it: the columns, and the document for fields that have none.
struct RowRef {
  int64_t timestamp_ms = 0;
  uint8_t level = 0;
  std::string_view service{};
  std::string_view host{};  ///< Empty: the event has no host.
  std::string_view message{};
  std::string_view json{};
};

/// Per thread: what a row's clauses share (the message's tokens, the parsed document), computed
/// at most once per row and only when a clause needs it.
class RowScratch {
 public:
  /// Forgets the previous row.
  void Reset() {
    tokenized_ = false;
    parsed_ = false;
  }
  [[nodiscard]] const std::vector<std::string>& Tokens(std::string_view message);
  /// The document's root, or nullopt when it does not parse (never for a stored document).
  [[nodiscard]] std::optional<simdjson::dom::element> Document(std::string_view json);

 private:
  bool tokenized_ = false;
  bool parsed_ = false;
  bool parse_ok_ = false;
  std::string token_;
  std::vector<std::string> tokens_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

/// Where a field's value comes from: a column, or a path into the document.
struct FieldSource {
  enum class Kind { kService, kLevel, kHost, kMessage, kTimestamp, kDocument };
  Kind kind = Kind::kDocument;
  std::vector<std::string> path{};  ///< kDocument: the keys from the root.
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
  [[nodiscard]] bool InRange(int64_t timestamp_ms) const {
    return timestamp_ms >= from_ms_ && timestamp_ms < to_ms_;
  }
  /// False when no row of a block (or buffered chunk) with these summaries can match.
  [[nodiscard]] bool MayMatch(const BlockSummary& block, std::string_view bloom) const;
  [[nodiscard]] bool MayMatchTimes(int64_t min_ms, int64_t max_ms) const;
  /// The number of matches among `block`'s live rows when its summary alone tells (every row
  /// in the time range, and a filter of at most levels); nullopt when rows must be read.
  [[nodiscard]] std::optional<uint64_t> CountFromSummary(const BlockSummary& block) const;
  /// Whether the row matches, the time range included. Starts `scratch` afresh for the row; it
  /// stays valid for reading the row's fields (FieldSource::Text) until the next call.
  [[nodiscard]] bool Matches(const RowRef& row, RowScratch& scratch) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
  uint32_t columns_ = 0;
  int64_t from_ms_ = INT64_MIN;
  int64_t to_ms_ = INT64_MAX;  // Exclusive.
};

}  // namespace lp::search::logstore
