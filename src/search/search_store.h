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

/// The search store seam: the embedded SQLite FTS5 store and Elasticsearch/OpenSearch implement
/// it, and both pass the same contract tests. Thread-safe.
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
  /// Deletes documents whose timestamp is before `before_ms`; returns how many.
  [[nodiscard]] virtual Result<uint64_t> DeleteOlderThan(int64_t before_ms) = 0;
};

}  // namespace lp::search
