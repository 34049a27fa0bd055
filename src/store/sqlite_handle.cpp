#include "store/sqlite_handle.hpp"

#include <climits>

namespace store::sqlite {

StoreError::Kind error_kind(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_DATATYPE:
      return StoreError::Kind::conflict;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return StoreError::Kind::not_found;
    default:
      if ((rc & 0xff) == SQLITE_CONSTRAINT) return StoreError::Kind::conflict;
      return StoreError::Kind::unavailable;
  }
}

void throw_error(sqlite3* db, int rc, std::string_view context) {
  std::string what(context);
  what += ": ";
  // The connection's message is the more precise one ("UNIQUE constraint failed: users.username")
  // when it is about this error.
  if (db != nullptr && sqlite3_errcode(db) != SQLITE_OK) {
    what += sqlite3_errmsg(db);
  } else {
    what += sqlite3_errstr(rc);
  }
  throw StoreError(error_kind(rc), what);
}

// --- Statement ---

void Statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) throw_error(db_, rc, "sqlite: bind");
}

void Statement::bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) throw_error(db_, rc, "sqlite: bind");
}

void Statement::bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies the text, so the caller's buffer may go away.
  int rc = sqlite3_bind_text64(stmt_, index, text.empty() ? "" : text.data(), text.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_error(db_, rc, "sqlite: bind");
}

void Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) throw_error(db_, rc, "sqlite: bind");
}

void Statement::bind(int index, const std::optional<std::string>& text) {
  if (text) {
    bind(index, std::string_view(*text));
  } else {
    bind_null(index);
  }
}

void Statement::bind(int index, const std::optional<double>& value) {
  if (value) {
    bind(index, *value);
  } else {
    bind_null(index);
  }
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Name the statement by its first words, enough to tell which one failed.
  std::string sql = sqlite3_sql(stmt_);
  if (sql.size() > 48) sql = sql.substr(0, 45) + "...";
  throw_error(db_, rc, "sqlite: \"" + sql + "\"");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  // The result of reset repeats the last step's error, which was already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::column_double(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string Statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  // Bytes after text: sqlite3_column_text may convert the value first.
  int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) {
    if (sqlite3_errcode(db_) == SQLITE_NOMEM) throw_error(db_, SQLITE_NOMEM, "sqlite: column_text");
    return {};
  }
  return std::string(text, static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::column_optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_text(column);
}

std::optional<double> Statement::column_optional_double(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_double(column);
}

// --- Connection ---

Connection::Connection(const std::string& path, Mode mode) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |=
      mode == Mode::read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string what = "sqlite: cannot open: ";
    what += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw StoreError(StoreError::Kind::unavailable, what);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

StatementScope Connection::query(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
      throw StoreError(StoreError::Kind::unavailable, "statement too long");
    }
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      throw_error(db_, rc, "sqlite: prepare");
    }
    it = cache_.emplace(sql, std::make_unique<Statement>(db_, stmt)).first;
  }
  return StatementScope(*it->second);
}

void Connection::exec(std::string_view sql) {
  while (!sql.empty()) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &raw, &tail);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(raw);
      throw_error(db_, rc, "sqlite: prepare");
    }
    sql.remove_prefix(static_cast<std::size_t>(tail - sql.data()));
    if (raw == nullptr) continue;  // only whitespace or a comment was left
    Statement stmt(db_, raw);
    stmt.run();
  }
}

// --- Transaction ---

Transaction::Transaction(Connection& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (done_ || !db_.in_transaction()) return;
  // Some errors (IOERR, FULL, NOMEM) roll back on their own; otherwise roll back here.
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_.get(), "ROLLBACK", -1, 0, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_step(stmt);
  }
  sqlite3_finalize(stmt);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace store::sqlite
