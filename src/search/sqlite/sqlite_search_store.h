#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "search/search_store.h"
#include "search/sqlite/sqlite_handle.h"

namespace lp::search::sqlite {

/// The embedded search store: one SQLite database in WAL mode, events in a table indexed by
/// time, service and level, their messages in an external-content FTS5 index kept in step by
/// triggers. Writes go through one connection in one transaction per batch with a prepared
/// upsert; searches use a second connection, so readers never wait for a writer.
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
  [[nodiscard]] Result<uint64_t> DeleteOlderThan(int64_t before_ms) override;

 private:
  SqliteSearchStore() = default;

  std::mutex writer_mutex_;
  Connection writer_;
  Statement upsert_;
  std::mutex reader_mutex_;
  Connection reader_;
};

}  // namespace lp::search::sqlite
