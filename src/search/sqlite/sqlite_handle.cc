#include "search/sqlite/sqlite_handle.h"

namespace lp::search::sqlite {

tl::unexpected<Error> SqliteError(sqlite3* connection, int code, std::string_view what) {
  const int primary = code & 0xff;
  const bool retryable = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ||
                         primary == SQLITE_FULL || primary == SQLITE_IOERR ||
                         primary == SQLITE_NOMEM;
  // A damaged database file is the server's fault, never the data's.
  const bool damaged = primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
  std::string message(what);
  message += ": ";
  message += connection != nullptr ? sqlite3_errmsg(connection) : sqlite3_errstr(code);
  const ErrorClass error_class = damaged     ? ErrorClass::kStorageFault
                                 : retryable ? ErrorClass::kRetryable
                                             : ErrorClass::kPermanent;
  return tl::unexpected(Error{error_class, std::move(message)});
}

Result<Connection> OpenConnection(const std::string& path) {
  sqlite3* raw = nullptr;
  const int code =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Connection connection(raw);
  if (code != SQLITE_OK) return SqliteError(raw, code, "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  if (const int busy = sqlite3_busy_timeout(raw, 5000); busy != SQLITE_OK) {
    return SqliteError(raw, busy, "set busy timeout");
  }
  return connection;
}

Result<void> Execute(sqlite3* connection, const char* sql) {
  char* message = nullptr;
  const int code = sqlite3_exec(connection, sql, nullptr, nullptr, &message);
  sqlite3_free(message);
  if (code != SQLITE_OK) return SqliteError(connection, code, sql);
  return {};
}

Result<Statement> Prepare(sqlite3* connection, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int code = sqlite3_prepare_v3(connection, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Statement statement(raw);
  if (code != SQLITE_OK) return SqliteError(connection, code, "prepare");
  return statement;
}

}  // namespace lp::search::sqlite
