#include "search/sqlite/sqlite_search_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <utility>
#include <variant>

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

using Parameter = std::variant<int64_t, double, std::string>;

// The WHERE clause of a query's filters (not its page position), with its parameters.
struct Filter {
  std::string sql = " WHERE 1 = 1";
  std::vector<Parameter> parameters;
};

void AppendFts5Quoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

// The JSON path of a field inside the document, each segment quoted: `labels.<key>` is one key
// (label names may hold dots), `geo.` and `payload.` paths go into nested objects.
std::string JsonPath(std::string_view field) {
  std::string path = "$";
  const bool one_key = field.starts_with("labels.");
  size_t start = 0;
  while (start <= field.size()) {
    size_t dot = field.find('.', start);
    if (one_key && start > 0) dot = std::string_view::npos;
    if (dot == std::string_view::npos) dot = field.size();
    path += ".\"";
    path += field.substr(start, dot - start);
    path += '"';
    start = dot + 1;
  }
  return path;
}

// Renders the AST as an SQL expression over `events` that is 1 or 0, never NULL (so that NOT
// of a leaf holds for documents without the field).
class SqlBuilder {
 public:
  explicit SqlBuilder(std::vector<Parameter>& parameters) : parameters_(parameters) {}

  std::string Build(const QueryNode& node) {
    using Kind = QueryNode::Kind;
    switch (node.kind) {
      case Kind::kAll:
        return "1";
      case Kind::kAnd:
      case Kind::kOr: {
        std::string sql = "(";
        for (size_t i = 0; i < node.children.size(); ++i) {
          if (i > 0) sql += node.kind == Kind::kAnd ? " AND " : " OR ";
          sql += Build(node.children[i]);
        }
        return sql + ")";
      }
      case Kind::kNot:
        return "(NOT " + Build(node.children.front()) + ")";
      case Kind::kMatch:
        return "coalesce(" + Match(node) + ", 0)";
      case Kind::kRange:
        return "coalesce(" + Range(node) + ", 0)";
    }
    return "0";
  }

  // The field's value as text (numbers and booleans as their JSON text), NULL when absent.
  std::string ValueText(std::string_view field) {
    if (field == "service" || field == "level") return std::string(field);
    const std::string path = Bind(JsonPath(field));
    if (!field.starts_with("payload.")) return "json_extract(doc, " + path + ")";
    return "CASE json_type(doc, " + path + ") WHEN 'text' THEN json_extract(doc, " + path +
           ") WHEN 'integer' THEN doc -> " + path + " WHEN 'real' THEN doc -> " + path +
           " WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END";
  }

 private:
  std::string Bind(Parameter parameter) {
    parameters_.push_back(std::move(parameter));
    return "?" + std::to_string(parameters_.size());
  }

  std::string Match(const QueryNode& node) {
    using Match = QueryNode::Match;
    if (node.field_kind == FieldKind::kText) {
      std::string fts;
      AppendFts5Quoted(fts, node.value);
      if (node.match == Match::kPrefix) fts.push_back('*');
      return "rowid IN (SELECT rowid FROM events_text WHERE events_text MATCH " + Bind(fts) + ")";
    }
    if (node.match == Match::kPrefix) {
      const std::string value = ValueText(node.field);
      const std::string prefix = Bind(node.value);
      return "substr(" + value + ", 1, length(" + prefix + ")) = " + prefix;
    }
    if (node.field_kind == FieldKind::kKeyword) {
      const std::string value = node.field == "service" || node.field == "level"
                                    ? node.field
                                    : "json_extract(doc, " + Bind(JsonPath(node.field)) + ")";
      return value + " = " + Bind(node.value);
    }
    // A payload leaf: a string equal to the value, a number equal to it as a number, a boolean
    // named by it.
    const std::string path = Bind(JsonPath(node.field));
    const std::string text = Bind(node.value);
    std::string sql = "CASE json_type(doc, " + path + ") WHEN 'text' THEN json_extract(doc, " +
                      path + ") = " + text + " WHEN 'true' THEN " + text +
                      " = 'true' WHEN 'false' THEN " + text + " = 'false'";
    double number = 0;
    const auto* end = node.value.data() + node.value.size();
    if (const auto parsed = std::from_chars(node.value.data(), end, number);
        parsed.ec == std::errc{} && parsed.ptr == end) {
      const std::string bound = Bind(number);
      sql += " WHEN 'integer' THEN json_extract(doc, " + path + ") = " + bound +
             " WHEN 'real' THEN json_extract(doc, " + path + ") = " + bound;
    }
    return sql + " ELSE 0 END";
  }

  std::string Range(const QueryNode& node) {
    std::string value = "ts";
    std::string sql = "(1";
    if (node.field_kind == FieldKind::kPayload) {
      const std::string path = Bind(JsonPath(node.field));
      sql += " AND json_type(doc, " + path + ") IN ('integer', 'real')";
      value = "json_extract(doc, " + path + ")";
    }
    for (const auto& [bound, greater] : {std::pair{&node.lower, true}, {&node.upper, false}}) {
      if (!*bound) continue;
      const auto& b = **bound;
      sql += " AND " + value + (greater ? " >" : " <") + (b.inclusive ? "= " : " ");
      sql += b.time_ms ? Bind(*b.time_ms) : Bind(b.number.value_or(0));
    }
    return sql + ")";
  }

  std::vector<Parameter>& parameters_;
};

// `parameters` come first (numbered ?1...), the filter's after them.
Filter BuildFilter(const SearchQuery& query, std::vector<Parameter> parameters = {}) {
  Filter filter{.parameters = std::move(parameters)};
  if (query.filter.kind != QueryNode::Kind::kAll) {
    SqlBuilder builder(filter.parameters);
    filter.sql += " AND " + builder.Build(query.filter);
  }
  if (query.from_ms) {
    filter.parameters.emplace_back(*query.from_ms);
    filter.sql += " AND ts >= ?" + std::to_string(filter.parameters.size());
  }
  if (query.to_ms) {
    filter.parameters.emplace_back(*query.to_ms);
    filter.sql += " AND ts < ?" + std::to_string(filter.parameters.size());
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
    } else if (const auto* real = std::get_if<double>(&parameters[i])) {
      code = sqlite3_bind_double(statement, index, *real);
    } else {
      const auto& text = std::get<std::string>(parameters[i]);
      code = sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                               SQLITE_TRANSIENT);
    }
    if (code != SQLITE_OK) return SqliteError(connection, code, "bind");
  }
  return {};
}

// A cancelled query is interrupted; any other failure is the store's (the language was checked
// by the parser, and every term is quoted, so FTS5 sees no syntax of the client's).
tl::unexpected<Error> QueryError(sqlite3* connection, int code) {
  if ((code & 0xff) == SQLITE_INTERRUPT) return Retryable("query cancelled");
  return SqliteError(connection, code, "search");
}

std::string_view ColumnText(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  return text == nullptr
             ? std::string_view()
             : std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(statement, column)));
}

// Prepares `sql` on the reader and binds the parameters.
Result<Statement> PrepareBound(sqlite3* connection, std::string_view sql,
                               const std::vector<Parameter>& parameters) {
  auto statement = Prepare(connection, sql);
  if (!statement) return tl::unexpected(statement.error());
  if (auto bound = Bind(connection, statement->get(), parameters); !bound) {
    return tl::unexpected(bound.error());
  }
  return statement;
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
  for (size_t i = 0; i < kReaders; ++i) {
    auto reader = OpenConnection(file.string());
    if (!reader) return tl::unexpected(reader.error());
    store->readers_.push_back(std::move(*reader));
  }
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
      // Transient failures and a damaged database keep the batch all or nothing: the caller
      // retries it whole; only a document the store refuses for itself is rejected alone.
      if (error.value().error_class != ErrorClass::kPermanent) return error;
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

SqliteSearchStore::ReaderLease::ReaderLease(SqliteSearchStore& store,
                                            const Cancellation* cancellation)
    : store_(store) {
  std::unique_lock lock(store_.readers_mutex_);
  store_.reader_free_.wait(lock, [&] { return !store_.readers_.empty(); });
  connection_ = std::move(store_.readers_.back());
  store_.readers_.pop_back();
  lock.unlock();
  if (cancellation != nullptr) {
    // Asked every few thousand virtual machine steps (well under a millisecond of work).
    sqlite3_progress_handler(
        connection_.get(), 4096,
        [](void* token) { return static_cast<const Cancellation*>(token)->cancelled() ? 1 : 0; },
        const_cast<Cancellation*>(cancellation));
  }
}

SqliteSearchStore::ReaderLease::~ReaderLease() {
  sqlite3_progress_handler(connection_.get(), 0, nullptr, nullptr);
  {
    std::lock_guard lock(store_.readers_mutex_);
    store_.readers_.push_back(std::move(connection_));
  }
  store_.reader_free_.notify_one();
}

Result<SearchPage> SqliteSearchStore::Search(const SearchQuery& query) {
  if (query.cancellation != nullptr && query.cancellation->cancelled()) {
    return Retryable("query cancelled");
  }
  if (query.limit == 0 || query.limit > kMaxPageSize) {
    return Permanent("limit must be from 1 to " + std::to_string(kMaxPageSize));
  }
  const Filter filter = BuildFilter(query);
  ReaderLease reader(*this, query.cancellation);
  sqlite3* connection = reader.get();
  SearchPage page;

  // Counting stops one past the limit: past it the total is only a lower bound.
  std::string count_sql = "SELECT count(*) FROM (SELECT 1 FROM events" + filter.sql;
  auto count_parameters = filter.parameters;
  if (query.total_limit) {
    count_parameters.emplace_back(static_cast<int64_t>(*query.total_limit + 1));
    count_sql += " LIMIT ?" + std::to_string(count_parameters.size());
  }
  auto count = PrepareBound(connection, count_sql + ")", count_parameters);
  if (!count) return tl::unexpected(count.error());
  int code = sqlite3_step(count->get());
  if (code != SQLITE_ROW) return QueryError(connection, code);
  page.total = static_cast<uint64_t>(sqlite3_column_int64(count->get(), 0));
  if (query.total_limit && page.total > *query.total_limit) {
    page.total = *query.total_limit;
    page.total_relation = TotalRelation::kGreaterEqual;
  }

  const bool newest_first = query.order == SortOrder::kNewestFirst;
  std::string sql = "SELECT ts, doc, id FROM events" + filter.sql;
  auto parameters = filter.parameters;
  if (query.after) {
    parameters.emplace_back(query.after->timestamp_ms);
    const std::string ts = "?" + std::to_string(parameters.size());
    parameters.emplace_back(query.after->id);
    const std::string id = "?" + std::to_string(parameters.size());
    const char* past = newest_first ? " < " : " > ";
    sql += " AND (ts" + std::string(past) + ts + " OR (ts = " + ts + " AND id" + past + id + "))";
  }
  // One more than asked for tells whether another page follows.
  parameters.emplace_back(static_cast<int64_t>(query.limit + 1));
  sql += newest_first ? " ORDER BY ts DESC, id DESC" : " ORDER BY ts ASC, id ASC";
  sql += " LIMIT ?" + std::to_string(parameters.size());
  auto select = PrepareBound(connection, sql, parameters);
  if (!select) return tl::unexpected(select.error());
  while ((code = sqlite3_step(select->get())) == SQLITE_ROW) {
    if (page.hits.size() == query.limit) {
      page.next = Position{page.hits.back().timestamp_ms, page.hits.back().id};
      break;
    }
    page.hits.push_back(SearchHit{std::string(ColumnText(select->get(), 2)),
                                  std::string(ColumnText(select->get(), 1)),
                                  sqlite3_column_int64(select->get(), 0)});
  }
  if (code != SQLITE_ROW && code != SQLITE_DONE) return QueryError(connection, code);
  return page;
}

Result<SearchHit> SqliteSearchStore::Get(std::string_view id) {
  ReaderLease reader(*this, nullptr);
  sqlite3* connection = reader.get();
  auto select =
      PrepareBound(connection, "SELECT ts, doc FROM events WHERE id = ?1", {std::string(id)});
  if (!select) return tl::unexpected(select.error());
  const int code = sqlite3_step(select->get());
  if (code == SQLITE_DONE) return NotFound("no event " + std::string(id));
  if (code != SQLITE_ROW) return QueryError(connection, code);
  return SearchHit{std::string(id), std::string(ColumnText(select->get(), 1)),
                   sqlite3_column_int64(select->get(), 0)};
}

Result<std::vector<HistogramBucket>> SqliteSearchStore::Histogram(const SearchQuery& query,
                                                                  const HistogramRequest& request) {
  if (query.cancellation != nullptr && query.cancellation->cancelled()) {
    return Retryable("query cancelled");
  }
  if (request.interval_ms <= 0) return Permanent("interval must be positive");
  if (request.by != "level") {
    if (auto checked = CheckGroupingField(request.by); !checked) {
      return tl::unexpected(checked.error());
    }
  }
  std::vector<Parameter> parameters{request.interval_ms};
  const std::string value = SqlBuilder(parameters).ValueText(request.by);
  Filter filter = BuildFilter(query, std::move(parameters));
  ReaderLease reader(*this, query.cancellation);
  sqlite3* connection = reader.get();
  // Floor division, so buckets before 1970 line up too.
  const std::string sql =
      "SELECT bucket, value, count(*) FROM (SELECT ts - (((ts % ?1) + ?1) % "
      "?1) AS bucket, " +
      value + " AS value FROM events" + filter.sql +
      ") WHERE value IS NOT NULL GROUP BY bucket, value";
  auto select = PrepareBound(connection, sql, filter.parameters);
  if (!select) return tl::unexpected(select.error());
  std::map<int64_t, std::vector<HistogramBucket>> buckets;
  int code = SQLITE_OK;
  while ((code = sqlite3_step(select->get())) == SQLITE_ROW) {
    const int64_t start = sqlite3_column_int64(select->get(), 0);
    buckets[start].push_back(
        HistogramBucket{start, std::string(ColumnText(select->get(), 1)),
                        static_cast<uint64_t>(sqlite3_column_int64(select->get(), 2))});
  }
  if (code != SQLITE_DONE) return QueryError(connection, code);
  std::vector<HistogramBucket> out;
  for (auto& [start, values] : buckets) {
    std::ranges::sort(values, [](const auto& a, const auto& b) {
      return a.count != b.count ? a.count > b.count : a.value < b.value;
    });
    if (request.by != "level" && values.size() > request.groups) values.resize(request.groups);
    std::ranges::sort(values, {}, &HistogramBucket::value);
    out.insert(out.end(), values.begin(), values.end());
  }
  return out;
}

Result<Facets> SqliteSearchStore::Facet(const SearchQuery& query, std::string_view field,
                                        size_t size) {
  if (query.cancellation != nullptr && query.cancellation->cancelled()) {
    return Retryable("query cancelled");
  }
  if (auto checked = CheckGroupingField(field); !checked) return tl::unexpected(checked.error());
  if (size == 0 || size > 1000) return Permanent("size must be from 1 to 1000");
  Filter filter = BuildFilter(query);
  SqlBuilder builder(filter.parameters);
  const std::string value = builder.ValueText(field);
  ReaderLease reader(*this, query.cancellation);
  sqlite3* connection = reader.get();
  auto select = PrepareBound(connection,
                             "SELECT value, count(*) AS n FROM (SELECT " + value +
                                 " AS value FROM events" + filter.sql +
                                 ") WHERE value IS NOT NULL GROUP BY value ORDER BY n DESC, value",
                             filter.parameters);
  if (!select) return tl::unexpected(select.error());
  Facets facets;
  int code = SQLITE_OK;
  while ((code = sqlite3_step(select->get())) == SQLITE_ROW) {
    const auto count = static_cast<uint64_t>(sqlite3_column_int64(select->get(), 1));
    if (facets.values.size() < size) {
      facets.values.push_back(FacetValue{std::string(ColumnText(select->get(), 0)), count});
    } else {
      facets.other += count;
    }
  }
  if (code != SQLITE_DONE) return QueryError(connection, code);
  return facets;
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
