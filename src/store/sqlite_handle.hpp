#pragma once
// A thin RAII layer over the SQLite C API: a connection, its prepared statements (cached per
// connection) and transactions. Not thread-safe: one connection is used by one thread at a time.
// Every failure is thrown as store::StoreError (see error_kind()).

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.hpp"

namespace store::sqlite {

// How an SQLite result code maps onto the store's error kinds: UNIQUE / PRIMARY KEY / CHECK /
// NOT NULL violations are conflicts, a FOREIGN KEY violation is not_found (the row referred to
// does not exist), everything else (BUSY, LOCKED, IOERR, FULL, CORRUPT, ...) is unavailable.
StoreError::Kind error_kind(int rc);

// Throws StoreError with `context`, the result code's name and the connection's message.
[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view context);

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  void bind(int index, std::int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view text);
  void bind_null(int index);
  void bind(int index, const std::optional<std::string>& text);
  void bind(int index, const std::optional<double>& value);

  // true: a row is ready; false: done. Throws StoreError on failure.
  bool step();
  // Steps to completion, expecting no rows (or ignoring them).
  void run();
  void reset();

  bool is_null(int column) const;
  std::int64_t column_int64(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  std::optional<std::string> column_optional_text(int column) const;
  std::optional<double> column_optional_double(int column) const;

  const char* sql() const { return sqlite3_sql(stmt_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// A cached statement in use: resets it (ending any implicit read transaction and dropping its
// bindings) when it goes out of scope.
class StatementScope {
 public:
  explicit StatementScope(Statement& stmt) : stmt_(&stmt) {}
  ~StatementScope() { stmt_->reset(); }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

  Statement* operator->() const { return stmt_; }
  Statement& operator*() const { return *stmt_; }

 private:
  Statement* stmt_;
};

class Connection {
 public:
  enum class Mode { read_write_create, read_only };

  // Opens `path` (":memory:" for a private in-memory database); throws StoreError(unavailable).
  Connection(const std::string& path, Mode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const { return db_; }

  // Prepares (once) and returns the statement for `sql`; use it through the returned scope.
  StatementScope query(const std::string& sql);

  // Runs one or more parameterless statements (pragmas, DDL, BEGIN/COMMIT), uncached.
  void exec(std::string_view sql);

  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  sqlite3* db_ = nullptr;
  // Destroyed (finalized) before the connection is closed.
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Connection& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection& db_;
  bool done_ = false;
};

}  // namespace store::sqlite
