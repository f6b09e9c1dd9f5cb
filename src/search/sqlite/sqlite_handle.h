#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lp::search::sqlite {

struct ConnectionCloser {
  void operator()(sqlite3* connection) const { sqlite3_close_v2(connection); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

/// Turns an SQLite result code into an error: busy, locked, full and I/O errors are retryable.
[[nodiscard]] tl::unexpected<Error> SqliteError(sqlite3* connection, int code,
                                                std::string_view what);

[[nodiscard]] Result<Connection> OpenConnection(const std::string& path);
[[nodiscard]] Result<void> Execute(sqlite3* connection, const char* sql);
[[nodiscard]] Result<Statement> Prepare(sqlite3* connection, std::string_view sql);

}  // namespace lp::search::sqlite
