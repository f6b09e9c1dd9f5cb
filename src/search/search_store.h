#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "search/query_language.h"

namespace lp::search {

/// One event as the search store keeps it: the normalized document (DESIGN §4) as JSON, plus the
/// fields the store filters and sorts on. `id` is `<topic>-<partition>-<offset>`, so writing the
/// same event twice overwrites it.
struct SearchDocument {
  std::string id{};
  int64_t timestamp_ms = 0;
  std::string service{};
  std::string level{};
  std::string message{};
  std::string json{};
  /// The queue record the document came from (-1: none), so that a store which makes writes
  /// durable later knows which records to read again after losing a part (LogStore).
  int32_t source_partition = -1;
  int64_t source_offset = -1;
};

/// A position in the processor's input topic: every record of `partition` before `next_offset`.
struct SourceOffset {
  int32_t partition = 0;
  int64_t next_offset = 0;

  friend bool operator==(const SourceOffset&, const SourceOffset&) = default;
};

/// What became of one document of a batch; a rejected one will never be accepted as it is.
struct DocumentOutcome {
  bool accepted = true;
  std::string error;
};

/// Lets the caller stop a query: fires when the query's deadline passes, when the query pool
/// cancels it, or once its client went away (the flag the HTTP server sets). Stores check it often
/// enough that a cancelled query stops within about a second of work (SQLite: a progress handler;
/// Elasticsearch: the request's timeout is the time left) and then answer Retryable("query
/// cancelled"). Thread-safe.
class Cancellation {
 public:
  Cancellation() = default;
  explicit Cancellation(std::chrono::steady_clock::time_point deadline,
                        std::shared_ptr<const std::atomic<bool>> client_gone = nullptr)
      : deadline_(deadline), client_gone_(std::move(client_gone)) {}

  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  [[nodiscard]] bool cancelled() const {
    return cancelled_.load(std::memory_order_relaxed) || client_gone() ||
           std::chrono::steady_clock::now() >= deadline_;
  }
  [[nodiscard]] std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  [[nodiscard]] bool client_gone() const {
    return client_gone_ != nullptr && client_gone_->load(std::memory_order_relaxed);
  }

 private:
  std::atomic<bool> cancelled_{false};
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::shared_ptr<const std::atomic<bool>> client_gone_;
};

/// Where a hit sits in the one order every store uses: by `timestamp_ms`, then by `id`
/// (compared as bytes). Cursors and tail positions are positions.
struct Position {
  int64_t timestamp_ms = 0;
  std::string id{};

  friend auto operator<=>(const Position&, const Position&) = default;
};

/// The cursor text of a position, the same for every store: `<timestamp ms>:<id>`.
[[nodiscard]] std::string FormatCursor(const Position& position);
/// Reads a cursor; Permanent "invalid cursor ..." when it is not one.
[[nodiscard]] Result<Position> ParseCursor(std::string_view cursor);

enum class SortOrder {
  kNewestFirst,  ///< Descending (timestamp, id).
  kOldestFirst,  ///< Ascending (timestamp, id): context after an event, and tail.
};

/// Exact totals up to this many matches by default; past it the total is a lower bound.
inline constexpr uint64_t kDefaultTotalLimit = 10'000;
/// The most hits one page may hold.
inline constexpr size_t kMaxPageSize = 10'000;

struct SearchQuery {
  /// The parsed `q` (with the API's `service=`/`level=` filters ANDed in); kAll matches all.
  QueryNode filter{};
  std::optional<int64_t> from_ms{};  ///< Inclusive.
  std::optional<int64_t> to_ms{};    ///< Exclusive.
  SortOrder order = SortOrder::kNewestFirst;
  /// Hits strictly after this position in `order` (a cursor, or the anchor of context / tail).
  std::optional<Position> after{};
  size_t limit = 100;  ///< 1 to kMaxPageSize.
  /// Count matches exactly up to this many; nullopt counts every match (`track_total=true`);
  /// 0 does not count (total 0, "gte" when anything matches: context and tail need no total).
  std::optional<uint64_t> total_limit = kDefaultTotalLimit;
  /// Checked while the query runs; may be null (never cancelled).
  const Cancellation* cancellation = nullptr;
};

struct SearchHit {
  std::string id;
  std::string json;
  int64_t timestamp_ms = 0;
};

enum class TotalRelation {
  kEqual,        ///< "eq": the count is exact.
  kGreaterEqual  ///< "gte": at least this many; counting stopped at the query's total_limit.
};

struct SearchPage {
  /// Matches of the filter and time range (`after` and `limit` do not change it): exact with
  /// kEqual when there are at most `total_limit`, else `total_limit` with kGreaterEqual.
  uint64_t total = 0;
  TotalRelation total_relation = TotalRelation::kEqual;
  std::vector<SearchHit> hits;  ///< In the query's order.
  /// The position of the last hit when more hits follow it, else nullopt. A store that cannot
  /// tell cheaply may give it for a full page; the next page is then empty.
  std::optional<Position> next{};
};

/// `Histogram` groups by this field: `level`, or any keyword or payload field (ClassifyField).
struct HistogramRequest {
  int64_t interval_ms = 60'000;
  std::string by = "level";
  /// Per bucket, the values with the most events (ties: the smaller value first) up to this
  /// many; the rest of the bucket is left out. Levels are never more than six.
  size_t groups = 10;
};

struct HistogramBucket {
  int64_t start_ms = 0;  ///< A multiple of interval_ms (floor, also before 1970).
  std::string value{};   ///< The level, or the grouping field's value as text.
  uint64_t count = 0;
};

struct FacetValue {
  std::string value;
  uint64_t count = 0;
};

struct Facets {
  /// The most frequent values among matching documents, by count descending then value
  /// ascending, at most `size` of them.
  std::vector<FacetValue> values;
  /// Matching documents that have the field with a value not listed.
  uint64_t other = 0;
  /// kGreaterEqual when the store could only give lower bounds (e.g. a sharded cluster).
  TotalRelation relation = TotalRelation::kEqual;
};

/// The search store seam: the embedded log store, SQLite FTS5 and Elasticsearch/OpenSearch
/// implement it, and all pass the same contract tests (contract/). Thread-safe: any method may
/// run on several threads at once, including while Write runs.
///
/// Every query method takes the query's filter, time range and cancellation; permanent errors
/// are the client's mistake (a 400), retryable ones are the store's trouble (a 503), and a
/// cancelled query answers Retryable promptly.
///
/// Durability: a store may keep written documents in memory and make them durable later (the
/// log store does; the queue is its write-ahead log). The processor tells it, with Checkpoint,
/// how far it has dealt with each partition, and commits the queue's offsets only up to what
/// Checkpoint answers is durable; at start it rewinds a partition to ResumeOffset when the store
/// has lost what it had (a corrupt part set aside).
class SearchStore {
 public:
  virtual ~SearchStore() = default;

  /// Upserts the documents by id. A retryable error means nothing of the batch is stored;
  /// otherwise each document's outcome is given in order. A written document is visible to
  /// every query method once Write returned.
  [[nodiscard]] virtual Result<std::vector<DocumentOutcome>> Write(
      std::span<const SearchDocument> documents) = 0;
  /// A page of matching hits in `order` after `after`, at most `limit`, with the total.
  [[nodiscard]] virtual Result<SearchPage> Search(const SearchQuery& query) = 0;
  /// One document by id; NotFound when there is none.
  [[nodiscard]] virtual Result<SearchHit> Get(std::string_view id) = 0;
  /// Counts of matching documents per bucket of `interval_ms` and per value of `by`, oldest
  /// bucket first, then value ascending; empty buckets and documents without `by` are left out.
  /// Ignores order, after, limit and total_limit. Permanent error for a field `by` cannot be.
  [[nodiscard]] virtual Result<std::vector<HistogramBucket>> Histogram(
      const SearchQuery& query, const HistogramRequest& request) = 0;
  /// The top `size` (1 to 1000) values of `field` (a keyword or payload field; numbers and
  /// booleans as their JSON text) among matching documents. Ignores order, after, limit and
  /// total_limit. Permanent error for a field that cannot be faceted.
  [[nodiscard]] virtual Result<Facets> Facet(const SearchQuery& query, std::string_view field,
                                             size_t size) = 0;
  /// Retention by ARRIVAL, never by the event's own timestamp: deletes documents that were
  /// written before `before_ms` (store clock), possibly keeping some longer (a store may drop
  /// whole parts or indices only). Never deletes a document written at or after `before_ms`.
  /// Returns how many were deleted.
  [[nodiscard]] virtual Result<uint64_t> DeleteArrivedBefore(int64_t before_ms) = 0;

  /// Records that every record before these offsets has been dealt with (written to this store
  /// or sent to the dead-letter topic), and returns the offsets up to which that is durable:
  /// the queue may commit those. The default is for stores whose Write is durable on return.
  [[nodiscard]] virtual Result<std::vector<SourceOffset>> Checkpoint(
      std::span<const SourceOffset> handled) {
    return std::vector<SourceOffset>(handled.begin(), handled.end());
  }
  /// Where consumption of `partition` must resume so that nothing the store lost is skipped;
  /// nullopt when the store keeps no positions (then the queue's committed offset is right).
  [[nodiscard]] virtual std::optional<int64_t> ResumeOffset(int32_t /*partition*/) {
    return std::nullopt;
  }
};

/// Permanent error unless `field` may be grouped or faceted on (keyword or payload fields).
[[nodiscard]] Result<void> CheckGroupingField(std::string_view field);

}  // namespace lp::search
