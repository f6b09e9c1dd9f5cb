#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "search/search_store.h"
#include "search/sqlite/sqlite_handle.h"

namespace lp::search::sqlite {

/// The embedded search store: one SQLite database in WAL mode, events in a table indexed by
/// time, service and level, their messages in an external-content FTS5 index kept in step by
/// the writes themselves. Writes go through one connection in one transaction per batch with
/// prepared statements (an insert, or for a re-delivered id an overwrite); searches use a second
/// connection, so readers never wait for a writer.
///
/// Thread-safe: each connection is guarded by its own mutex.
class SqliteSearchStore final : public SearchStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SqliteSearchStore>> Open(
      const std::filesystem::path& file);

  [[nodiscard]] Result<std::vector<DocumentOutcome>> Write(
      std::span<const SearchDocument> documents) override;
  [[nodiscard]] Result<SearchPage> Search(const SearchQuery& query) override;
  [[nodiscard]] Result<std::vector<HistogramBucket>> Histogram(const SearchQuery& query,
                                                               int64_t interval_ms) override;
  [[nodiscard]] Result<uint64_t> DeleteArrivedBefore(int64_t before_ms) override;

 private:
  SqliteSearchStore() = default;

  // Inserts or overwrites one document and its text index entry; SQLITE_DONE when it worked.
  int WriteOne(const SearchDocument& document);
  void ResetWriteStatements();

  std::mutex writer_mutex_;
  Connection writer_;
  Statement insert_;
  Statement find_;
  Statement update_;
  Statement index_text_;
  Statement unindex_text_;
  std::mutex reader_mutex_;
  Connection reader_;
};

}  // namespace lp::search::sqlite
