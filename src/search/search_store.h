#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

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

struct SearchQuery {
  std::string text{};  ///< Full text over `message`: words, "phrases", AND/OR/NOT, prefix*.
  std::optional<std::string> service{};
  std::optional<std::string> level{};
  std::optional<int64_t> from_ms{};  ///< Inclusive.
  std::optional<int64_t> to_ms{};    ///< Exclusive.
  size_t limit = 100;
  std::string cursor{};  ///< From the previous page's SearchPage::next_cursor.
};

struct SearchHit {
  std::string id;
  std::string json;
};

struct SearchPage {
  uint64_t total = 0;           ///< Every match, not just this page.
  std::vector<SearchHit> hits;  ///< Newest first.
  std::string next_cursor;      ///< Empty on the last page.
};

struct HistogramBucket {
  int64_t start_ms = 0;
  std::string level;
  uint64_t count = 0;
};

/// The search store seam: the embedded log store (logstore/), SQLite FTS5 and
/// Elasticsearch/OpenSearch implement it, and all pass the same contract tests. Thread-safe.
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
  /// otherwise each document's outcome is given in order.
  [[nodiscard]] virtual Result<std::vector<DocumentOutcome>> Write(
      std::span<const SearchDocument> documents) = 0;
  /// Permanent errors name the bad part of the query (for a 400).
  [[nodiscard]] virtual Result<SearchPage> Search(const SearchQuery& query) = 0;
  /// Counts per bucket of `interval_ms` and level, oldest bucket first; ignores limit and cursor.
  [[nodiscard]] virtual Result<std::vector<HistogramBucket>> Histogram(const SearchQuery& query,
                                                                       int64_t interval_ms) = 0;
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

}  // namespace lp::search
