#include "search/sqlite/sqlite_search_store.h"

#include <charconv>
#include <chrono>
#include <optional>
#include <utility>
#include <variant>

#include "search/text_query.h"

namespace lp::search::sqlite {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events(
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,
  service TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_time ON events(ts);
CREATE INDEX IF NOT EXISTS events_by_service ON events(service, ts);
CREATE INDEX IF NOT EXISTS events_by_level ON events(level, ts);
CREATE VIRTUAL TABLE IF NOT EXISTS events_text
  USING fts5(message, content='events', content_rowid='rowid', columnsize=0);
DROP TRIGGER IF EXISTS events_inserted;
DROP TRIGGER IF EXISTS events_deleted;
DROP TRIGGER IF EXISTS events_updated;
)sql";

// When each row was written (store clock), for retention by arrival; added to databases of
// earlier versions, whose rows (NULL) are then never deleted by retention.
constexpr const char* kArrivedColumn = "ALTER TABLE events ADD COLUMN arrived INTEGER";

// The full-text index is kept in step by these statements, not by triggers: FTS5 flushes its
// pending terms at every savepoint, and each trigger runs in one, which made writes 3x slower.
constexpr std::string_view kInsert =
    "INSERT INTO events(id, ts, service, level, message, doc, arrived) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO NOTHING";
constexpr std::string_view kFind = "SELECT rowid, message FROM events WHERE id = ?1";
constexpr std::string_view kUpdate =
    "UPDATE events SET ts = ?2, service = ?3, level = ?4, message = ?5, doc = ?6, arrived = ?7 "
    "WHERE rowid = ?1";
constexpr std::string_view kIndexText = "INSERT INTO events_text(rowid, message) VALUES (?1, ?2)";
constexpr std::string_view kUnindexText =
    "INSERT INTO events_text(events_text, rowid, message) VALUES ('delete', ?1, ?2)";

using Parameter = std::variant<int64_t, std::string>;

// The WHERE clause of a query's filters (not its page position), with its parameters.
struct Filter {
  std::string sql = " WHERE 1 = 1";
  std::vector<Parameter> parameters;
};

Result<Filter> BuildFilter(const SearchQuery& query) {
  Filter filter;
  auto text = ParseTextQuery(query.text);
  if (!text) return tl::unexpected(text.error());
  if (!text->empty()) {
    filter.sql += " AND rowid IN (SELECT rowid FROM events_text WHERE events_text MATCH ?)";
    filter.parameters.emplace_back(ToFts5(*text));
  }
  if (query.service) {
    filter.sql += " AND service = ?";
    filter.parameters.emplace_back(*query.service);
  }
  if (query.level) {
    filter.sql += " AND level = ?";
    filter.parameters.emplace_back(*query.level);
  }
  if (query.from_ms) {
    filter.sql += " AND ts >= ?";
    filter.parameters.emplace_back(*query.from_ms);
  }
  if (query.to_ms) {
    filter.sql += " AND ts < ?";
    filter.parameters.emplace_back(*query.to_ms);
  }
  return filter;
}

Result<void> Bind(sqlite3* connection, sqlite3_stmt* statement,
                  const std::vector<Parameter>& parameters) {
  for (size_t i = 0; i < parameters.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    int code = SQLITE_OK;
    if (const auto* number = std::get_if<int64_t>(&parameters[i])) {
      code = sqlite3_bind_int64(statement, index, *number);
    } else {
      const auto& text = std::get<std::string>(parameters[i]);
      code = sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                               SQLITE_TRANSIENT);
    }
    if (code != SQLITE_OK) return SqliteError(connection, code, "bind");
  }
  return {};
}

// With bound parameters, a plain SQLITE_ERROR while stepping comes from the full-text query
// (FTS5 reports its syntax errors that way): the client's mistake, so say so plainly.
tl::unexpected<Error> QueryError(sqlite3* connection, int code) {
  if ((code & 0xff) == SQLITE_ERROR) {
    return Permanent("invalid query: " + std::string(sqlite3_errmsg(connection)));
  }
  return SqliteError(connection, code, "search");
}

std::string_view ColumnText(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  return text == nullptr
             ? std::string_view()
             : std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(statement, column)));
}

struct Cursor {
  int64_t ts = 0;
  int64_t rowid = 0;
};

std::optional<Cursor> ParseCursor(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  Cursor cursor;
  const auto ts_part = text.substr(0, dot);
  const auto rowid_part = text.substr(dot + 1);
  const auto ts = std::from_chars(ts_part.data(), ts_part.data() + ts_part.size(), cursor.ts);
  const auto rowid =
      std::from_chars(rowid_part.data(), rowid_part.data() + rowid_part.size(), cursor.rowid);
  if (ts.ec != std::errc{} || ts.ptr != ts_part.data() + ts_part.size() ||
      rowid.ec != std::errc{} || rowid.ptr != rowid_part.data() + rowid_part.size()) {
    return std::nullopt;
  }
  return cursor;
}

}  // namespace

Result<std::unique_ptr<SqliteSearchStore>> SqliteSearchStore::Open(
    const std::filesystem::path& file) {
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);
  if (error)
    return Permanent("cannot create " + file.parent_path().string() + ": " + error.message());
  std::unique_ptr<SqliteSearchStore> store(new SqliteSearchStore());
  auto writer = OpenConnection(file.string());
  if (!writer) return tl::unexpected(writer.error());
  store->writer_ = std::move(*writer);
  for (const char* sql : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                          "PRAGMA temp_store = MEMORY", "PRAGMA cache_size = -65536", kSchema}) {
    if (auto done = Execute(store->writer_.get(), sql); !done) return tl::unexpected(done.error());
  }
  bool has_arrived = false;
  {
    auto select =
        Prepare(store->writer_.get(),
                "SELECT count(*) FROM pragma_table_info('events') WHERE name = 'arrived'");
    if (!select) return tl::unexpected(select.error());
    if (sqlite3_step(select->get()) != SQLITE_ROW) {
      return SqliteError(store->writer_.get(), SQLITE_ERROR, "read the schema");
    }
    has_arrived = sqlite3_column_int64(select->get(), 0) != 0;
  }
  if (!has_arrived) {
    if (auto done = Execute(store->writer_.get(), kArrivedColumn); !done) {
      return tl::unexpected(done.error());
    }
  }
  for (auto [statement, sql] : {std::pair{&store->insert_, kInsert},
                                {&store->find_, kFind},
                                {&store->update_, kUpdate},
                                {&store->index_text_, kIndexText},
                                {&store->unindex_text_, kUnindexText}}) {
    auto prepared = Prepare(store->writer_.get(), sql);
    if (!prepared) return tl::unexpected(prepared.error());
    *statement = std::move(*prepared);
  }
  auto reader = OpenConnection(file.string());
  if (!reader) return tl::unexpected(reader.error());
  store->reader_ = std::move(*reader);
  return store;
}

namespace {

// Runs a prepared write statement with `bind` applied; SQLITE_DONE when it worked.
template <typename Bind>
int Run(sqlite3_stmt* statement, Bind&& bind) {
  sqlite3_reset(statement);
  int code = bind(statement);
  if (code == SQLITE_OK) code = sqlite3_step(statement);
  return code;
}

int BindText(sqlite3_stmt* statement, int index, std::string_view text) {
  return sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                           SQLITE_STATIC);
}

int BindFields(sqlite3_stmt* statement, const SearchDocument& document) {
  int code = sqlite3_bind_int64(statement, 2, document.timestamp_ms);
  if (code == SQLITE_OK) code = BindText(statement, 3, document.service);
  if (code == SQLITE_OK) code = BindText(statement, 4, document.level);
  if (code == SQLITE_OK) code = BindText(statement, 5, document.message);
  if (code == SQLITE_OK) code = BindText(statement, 6, document.json);
  if (code == SQLITE_OK) {
    code = sqlite3_bind_int64(statement, 7,
                              std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  }
  return code;
}

}  // namespace

int SqliteSearchStore::WriteOne(const SearchDocument& document) {
  int code = Run(insert_.get(), [&](sqlite3_stmt* statement) {
    const int bound = BindText(statement, 1, document.id);
    return bound == SQLITE_OK ? BindFields(statement, document) : bound;
  });
  if (code != SQLITE_DONE) return code;
  sqlite3* connection = writer_.get();
  int64_t rowid = sqlite3_last_insert_rowid(connection);
  if (sqlite3_changes(connection) == 0) {
    // Written before (a re-delivery): take its old message out of the index, then overwrite.
    sqlite3_stmt* find = find_.get();
    code = Run(find, [&](sqlite3_stmt* statement) { return BindText(statement, 1, document.id); });
    if (code != SQLITE_ROW) return code == SQLITE_DONE ? SQLITE_CORRUPT : code;
    rowid = sqlite3_column_int64(find, 0);
    code = Run(unindex_text_.get(), [&](sqlite3_stmt* statement) {
      const int bound = sqlite3_bind_int64(statement, 1, rowid);
      return bound == SQLITE_OK ? BindText(statement, 2, ColumnText(find, 1)) : bound;
    });
    if (code != SQLITE_DONE) return code;
    code = Run(update_.get(), [&](sqlite3_stmt* statement) {
      const int bound = sqlite3_bind_int64(statement, 1, rowid);
      return bound == SQLITE_OK ? BindFields(statement, document) : bound;
    });
    if (code != SQLITE_DONE) return code;
  }
  return Run(index_text_.get(), [&](sqlite3_stmt* statement) {
    const int bound = sqlite3_bind_int64(statement, 1, rowid);
    return bound == SQLITE_OK ? BindText(statement, 2, document.message) : bound;
  });
}

void SqliteSearchStore::ResetWriteStatements() {
  for (const auto* statement : {&insert_, &find_, &update_, &index_text_, &unindex_text_}) {
    sqlite3_reset(statement->get());
  }
}

Result<std::vector<DocumentOutcome>> SqliteSearchStore::Write(
    std::span<const SearchDocument> documents) {
  std::lock_guard lock(writer_mutex_);
  sqlite3* connection = writer_.get();
  std::vector<DocumentOutcome> outcomes(documents.size());
  // A document SQLite refuses for good spoils the transaction half-written (no per-document
  // savepoints, see above): roll back, set it aside, and write the batch again without it.
  while (true) {
    if (auto begun = Execute(connection, "BEGIN IMMEDIATE"); !begun) {
      return tl::unexpected(begun.error());
    }
    std::optional<size_t> refused;
    for (size_t i = 0; i < documents.size() && !refused; ++i) {
      if (!outcomes[i].accepted) continue;
      const int code = WriteOne(documents[i]);
      if (code == SQLITE_DONE) continue;
      auto error = SqliteError(connection, code, "write document " + documents[i].id);
      ResetWriteStatements();
      if (auto rolled = Execute(connection, "ROLLBACK"); !rolled) {
        return tl::unexpected(rolled.error());
      }
      // Transient failures keep the batch all or nothing: the caller retries it whole.
      if (error.value().retryable()) return error;
      outcomes[i] = DocumentOutcome{false, error.value().message};
      refused = i;
    }
    if (refused) continue;
    ResetWriteStatements();
    if (auto committed = Execute(connection, "COMMIT"); !committed) {
      (void)Execute(connection, "ROLLBACK");
      return tl::unexpected(committed.error());
    }
    return outcomes;
  }
}

Result<SearchPage> SqliteSearchStore::Search(const SearchQuery& query) {
  if (query.limit == 0 || query.limit > 10'000) {
    return Permanent("limit must be from 1 to 10000");
  }
  std::optional<Cursor> cursor;
  if (!query.cursor.empty()) {
    cursor = ParseCursor(query.cursor);
    if (!cursor) return Permanent("invalid cursor \"" + query.cursor + "\"");
  }
  const auto built = BuildFilter(query);
  if (!built) return tl::unexpected(built.error());
  const Filter& filter = *built;
  std::lock_guard lock(reader_mutex_);
  sqlite3* connection = reader_.get();
  SearchPage page;

  auto count = Prepare(connection, "SELECT count(*) FROM events" + filter.sql);
  if (!count) return tl::unexpected(count.error());
  if (auto bound = Bind(connection, count->get(), filter.parameters); !bound) {
    return tl::unexpected(bound.error());
  }
  int code = sqlite3_step(count->get());
  if (code != SQLITE_ROW) return QueryError(connection, code);
  page.total = static_cast<uint64_t>(sqlite3_column_int64(count->get(), 0));

  std::string sql = "SELECT rowid, ts, doc, id FROM events" + filter.sql;
  auto parameters = filter.parameters;
  if (cursor) {
    sql += " AND (ts < ? OR (ts = ? AND rowid < ?))";
    parameters.emplace_back(cursor->ts);
    parameters.emplace_back(cursor->ts);
    parameters.emplace_back(cursor->rowid);
  }
  // One more than asked for tells whether another page follows.
  sql += " ORDER BY ts DESC, rowid DESC LIMIT ?";
  parameters.emplace_back(static_cast<int64_t>(query.limit + 1));
  auto select = Prepare(connection, sql);
  if (!select) return tl::unexpected(select.error());
  if (auto bound = Bind(connection, select->get(), parameters); !bound) {
    return tl::unexpected(bound.error());
  }
  Cursor last;
  while ((code = sqlite3_step(select->get())) == SQLITE_ROW) {
    if (page.hits.size() == query.limit) {
      page.next_cursor = std::to_string(last.ts) + "." + std::to_string(last.rowid);
      break;
    }
    last = Cursor{sqlite3_column_int64(select->get(), 1), sqlite3_column_int64(select->get(), 0)};
    page.hits.push_back(SearchHit{std::string(ColumnText(select->get(), 3)),
                                  std::string(ColumnText(select->get(), 2))});
  }
  if (code != SQLITE_ROW && code != SQLITE_DONE) return QueryError(connection, code);
  return page;
}

Result<std::vector<HistogramBucket>> SqliteSearchStore::Histogram(const SearchQuery& query,
                                                                  int64_t interval_ms) {
  if (interval_ms <= 0) return Permanent("interval must be positive");
  const auto built = BuildFilter(query);
  if (!built) return tl::unexpected(built.error());
  const Filter& filter = *built;
  std::lock_guard lock(reader_mutex_);
  sqlite3* connection = reader_.get();
  // Floor division, so buckets before 1970 line up too.
  const std::string sql =
      "SELECT ts - (((ts % ?1) + ?1) % ?1) AS bucket, level, count(*) FROM (SELECT ts, level FROM "
      "events" +
      filter.sql + ") GROUP BY bucket, level ORDER BY bucket, level";
  auto select = Prepare(connection, sql);
  if (!select) return tl::unexpected(select.error());
  std::vector<Parameter> parameters{interval_ms};
  parameters.insert(parameters.end(), filter.parameters.begin(), filter.parameters.end());
  if (auto bound = Bind(connection, select->get(), parameters); !bound) {
    return tl::unexpected(bound.error());
  }
  std::vector<HistogramBucket> buckets;
  int code = SQLITE_OK;
  while ((code = sqlite3_step(select->get())) == SQLITE_ROW) {
    buckets.push_back(HistogramBucket{
        sqlite3_column_int64(select->get(), 0), std::string(ColumnText(select->get(), 1)),
        static_cast<uint64_t>(sqlite3_column_int64(select->get(), 2))});
  }
  if (code != SQLITE_DONE) return QueryError(connection, code);
  return buckets;
}

Result<uint64_t> SqliteSearchStore::DeleteArrivedBefore(int64_t before_ms) {
  std::lock_guard lock(writer_mutex_);
  sqlite3* connection = writer_.get();
  if (auto begun = Execute(connection, "BEGIN IMMEDIATE"); !begun) {
    return tl::unexpected(begun.error());
  }
  uint64_t deleted = 0;
  for (const std::string_view sql :
       {"INSERT INTO events_text(events_text, rowid, message) "
        "SELECT 'delete', rowid, message FROM events WHERE arrived < ?1",
        "DELETE FROM events WHERE arrived < ?1"}) {
    auto statement = Prepare(connection, sql);
    if (!statement) {
      (void)Execute(connection, "ROLLBACK");
      return tl::unexpected(statement.error());
    }
    const int code = Run(statement->get(), [before_ms](sqlite3_stmt* delete_statement) {
      return sqlite3_bind_int64(delete_statement, 1, before_ms);
    });
    if (code != SQLITE_DONE) {
      auto error = SqliteError(connection, code, "delete old documents");
      sqlite3_reset(statement->get());
      (void)Execute(connection, "ROLLBACK");
      return error;
    }
    deleted = static_cast<uint64_t>(sqlite3_changes64(connection));
  }
  if (auto committed = Execute(connection, "COMMIT"); !committed) {
    (void)Execute(connection, "ROLLBACK");
    return tl::unexpected(committed.error());
  }
  return deleted;
}

}  // namespace lp::search::sqlite
