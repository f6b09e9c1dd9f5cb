#pragma once

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>

#include "search/search_store.h"
#include "search/sqlite/sqlite_handle.h"

namespace lp::search::sqlite {

/// The embedded search store: one SQLite database in WAL mode, events in a table indexed by
/// time, service and level, their messages in an external-content FTS5 index kept in step by
/// the writes themselves. Writes go through one connection in one transaction per batch with
/// prepared statements (an insert, or for a re-delivered id an overwrite); queries use a few
/// reader connections, so readers never wait for the writer, and are interrupted (progress
/// handler) when their Cancellation says so.
///
/// Thread-safe: the writer is guarded by a mutex, each reader is leased to one query at a time.
class SqliteSearchStore final : public SearchStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SqliteSearchStore>> Open(
      const std::filesystem::path& file);

  [[nodiscard]] Result<std::vector<DocumentOutcome>> Write(
      std::span<const SearchDocument> documents) override;
  [[nodiscard]] Result<SearchPage> Search(const SearchQuery& query) override;
  [[nodiscard]] Result<SearchHit> Get(std::string_view id) override;
  [[nodiscard]] Result<std::vector<HistogramBucket>> Histogram(
      const SearchQuery& query, const HistogramRequest& request) override;
  [[nodiscard]] Result<Facets> Facet(const SearchQuery& query, std::string_view field,
                                     size_t size) override;
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
  // Queries share a few reader connections, so that several run at once (WAL readers never
  // wait for the writer); a query waits for a free one.
  static constexpr size_t kReaders = 4;
  class ReaderLease {
   public:
    ReaderLease(SqliteSearchStore& store, const Cancellation* cancellation);
    ~ReaderLease();
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    [[nodiscard]] sqlite3* get() const { return connection_.get(); }

   private:
    SqliteSearchStore& store_;
    Connection connection_;
  };
  std::mutex readers_mutex_;
  std::condition_variable reader_free_;
  std::vector<Connection> readers_;
};

}  // namespace lp::search::sqlite
